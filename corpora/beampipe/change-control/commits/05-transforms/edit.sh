sed -i "s/dataproduct_subtype = 'cubelet'\"/dataproduct_subtype = 'cubelet' AND data_release >= 2\"/" config/wallaby_hires.v1.yaml
cat >> config/wallaby_hires.v1.yaml.tmp <<'X'
  - name: spectra_query
    query: "SELECT * FROM ivoa.obscore WHERE obs_collection = '{collection}' AND dataproduct_type = 'spectrum'"
    variables: {collection: WALLABY}
X
sed -i '/^manifest:/e cat config/wallaby_hires.v1.yaml.tmp' config/wallaby_hires.v1.yaml
rm config/wallaby_hires.v1.yaml.tmp
