# The handler: init code outside it runs when the runtime sources this file.
echo "[function] init"

handler() {
  printf '{"echo":%s}' "$1"
}
