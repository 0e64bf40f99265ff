#!/bin/sh
# The walk-through: from zero to a paid, then cancelled, booking, against `make run`.
#
#   make run             # terminal 1
#   make walkthrough     # terminal 2 (or: sh docs/walkthrough.sh; B=<base URL>/api for another stack)
#
# POSIX sh, curl (any version) and python3 (to read JSON and compute dates).
# Each run signs up a new guest and sends a new Idempotency-Key, so it can run again and again.
# Amounts are integers in minor units of the currency: 30000 EUR is 300.00 EUR.
set -eu

B=${B:-http://127.0.0.1:3000/api}
EMAIL=${EMAIL:-guest-$(python3 -c 'import uuid; print(uuid.uuid4().hex[:12])')@example.com}
PASSWORD='correct horse battery staple'

# field NAME [INDEX NAME]: one field of the JSON on stdin (with INDEX: of an item of that list).
field() { python3 -c 'import json, sys; d = json.load(sys.stdin)[sys.argv[1]]; print(d if len(sys.argv) < 3 else d[int(sys.argv[2])][sys.argv[3]])' "$@"; }
# answer CURL_OUTPUT: its body, or (an error status) the problem on stderr and a failure that stops the script.
answer() {
  status=$(printf '%s\n' "$1" | tail -n 1)
  body=$(printf '%s\n' "$1" | sed '$d')
  if [ "$status" -ge 400 ]; then echo "   HTTP $status: $body" >&2; return 1; fi
  printf '%s\n' "$body"
}
get() { answer "$(curl -sS -w '\n%{http_code}' -H "Authorization: Bearer ${TOKEN:-}" "$B$1")"; }
# post PATH JSON [HEADER]
post() {
  answer "$(curl -sS -w '\n%{http_code}' -H "Authorization: Bearer ${TOKEN:-}" -H 'Content-Type: application/json' \
    ${3:+-H "$3"} -d "$2" "$B$1")"
}
day() { python3 -c 'import datetime, sys; print(datetime.date.today() + datetime.timedelta(days=int(sys.argv[1])))' "$1"; }

echo "1. Sign up and sign in as $EMAIL"
post /auth/register "{\"email\": \"$EMAIL\", \"password\": \"$PASSWORD\", \"name\": \"Ada\"}" > /dev/null
LOGIN=$(post /auth/login "{\"email\": \"$EMAIL\", \"password\": \"$PASSWORD\"}")
TOKEN=$(echo "$LOGIN" | field access)

CHECK_IN=$(day 30)
CHECK_OUT=$(day 32)
echo "2. Search Lisbon for 2 guests, $CHECK_IN to $CHECK_OUT (the cheapest first)"
FOUND=$(get "/rooms/search?check_in=$CHECK_IN&check_out=$CHECK_OUT&guests=2&city=Lisbon")
ROOM=$(echo "$FOUND" | field results 0 room_type_id)
echo "   $ROOM: $(echo "$FOUND" | field results 0 total_price) (minor units) for the stay"

echo "3. Hold it: a PENDING booking, its price locked for 15 minutes"
KEY=$(python3 -c 'import uuid; print(uuid.uuid4())')  # a retry with the same key answers this booking again
HELD=$(post /bookings "{\"room_type_id\": \"$ROOM\", \"check_in\": \"$CHECK_IN\", \"check_out\": \"$CHECK_OUT\", \"guests\": 2}" \
  "Idempotency-Key: $KEY")
BOOKING=$(echo "$HELD" | field id)
echo "   booking $BOOKING: $(get "/bookings/$BOOKING" | field status), until $(echo "$HELD" | field hold_expires_at)"

echo "4. Pay: auto_confirm pays with Stripe's test card (test mode only; a real client uses client_secret)"
PAID=$(post "/bookings/$BOOKING/checkout" '{"auto_confirm": true}')
echo "   $(echo "$PAID" | field status): $(echo "$PAID" | field amount) $(echo "$PAID" | field currency) paid"

echo "5. What cancelling now refunds"
QUOTE=$(get "/bookings/$BOOKING/refund-quote")
echo "   $(echo "$QUOTE" | field amount) of $(echo "$QUOTE" | field paid) (policy: $(echo "$QUOTE" | field policy))"

echo "6. Cancel: the rooms go back on sale, the refund goes to the card"
CANCELLED=$(post "/bookings/$BOOKING/cancel" '')
echo "   $(echo "$CANCELLED" | field status), refund $(echo "$CANCELLED" | python3 -c 'import json, sys; r = json.load(sys.stdin)["refund"]; print(r["amount"], r["status"])')"
