sed -i 's/    version: 3/    version: 4/' config/wallaby_hires.v1.yaml
