sed -i 's/exclude: \[access_url, content_length\]/exclude: [access_url, content_length, last_modified]/' config/wallaby_hires.v1.yaml
