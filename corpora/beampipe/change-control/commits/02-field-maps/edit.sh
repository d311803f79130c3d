sed -i 's/^  ra: RA$/  ra: RA_DEG/; s/^  dec: DEC$/  dec: DEC_DEG/' config/wallaby_hires.v1.yaml
