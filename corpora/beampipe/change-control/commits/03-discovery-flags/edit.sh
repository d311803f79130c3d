sed -i 's/require_moment_maps: false/require_moment_maps: true/' config/wallaby_hires.v1.yaml
