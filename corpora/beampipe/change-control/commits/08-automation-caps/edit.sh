sed -i 's/max_active_executions: 4/max_active_executions: 8/' config/wallaby_hires.v1.yaml
