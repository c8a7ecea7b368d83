#!/bin/sh
# Entry point of the compose RabbitMQ container: writes the broker's one user, from the
# environment, as a definitions file next to the committed topology, then runs the image's own
# entry point ("$@"). Definitions imported at boot replace the image's default user, so the user
# must be part of them; its password never enters the repository.
set -eu

: "${RABBITMQ_USER:?set RABBITMQ_USER in .env}"
: "${RABBITMQ_PASSWORD:?set RABBITMQ_PASSWORD in .env}"
target_dir="${CROWDIFY_DEFINITIONS_DIR:-/etc/rabbitmq/definitions.d}"

# Written into JSON without an encoder: allow only characters that need no escaping.
for value in "$RABBITMQ_USER" "$RABBITMQ_PASSWORD"; do
  case "$value" in
    *[!A-Za-z0-9._~+=-]*)
      echo "RABBITMQ_USER and RABBITMQ_PASSWORD may hold only letters, digits and . _ ~ + = -" >&2
      exit 1
      ;;
  esac
done

mkdir -p "$target_dir"
umask 077
cat > "$target_dir/20-users.json" <<JSON
{
  "users": [{"name": "$RABBITMQ_USER", "password": "$RABBITMQ_PASSWORD", "tags": "administrator"}],
  "permissions": [{"user": "$RABBITMQ_USER", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}]
}
JSON
if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1; then
  chown rabbitmq "$target_dir/20-users.json"
fi
exec "$@"
