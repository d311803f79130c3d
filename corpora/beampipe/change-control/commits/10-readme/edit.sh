printf '\nEvery change needs: project validate, a config revision upload, a small sample.\n' >> README.md
