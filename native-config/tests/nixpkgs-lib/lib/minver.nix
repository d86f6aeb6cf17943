# Expose the minimum required version for evaluating Nixpkgs
"2.3.17"
