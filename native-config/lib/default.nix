# The pure part of native-config: everything here uses only builtins, so the tests evaluate
# it with a bare nix-instantiate and no nixpkgs.
{
  cpus = import ./cpus.nix;
  kernel = import ./kernel.nix;
  settings = import ./settings.nix;
  render = import ./render.nix;
  validate = import ./validate.nix;
  guest = import ./guest.nix;
  mavenRepo = import ./maven-repo.nix;
}
