sed -i 's/^deployment_profile: setonix-slurm/deployment_profile: setonix-dim/; s/poll_interval: 60s/poll_interval: 120s/' config/wallaby_hires.v1.yaml
