sed -i 's/    by: \[name\]/    by: [field, name]/' config/wallaby_hires.v1.yaml
