#!/usr/bin/env bash
# Backline janitor: keeps the jwt-token and dockerconfig Secrets and the worker image fresh
# by asking the Backline SaaS. Contract: shared/contracts/backline-saas-api.md.
# Reference (env vars, log lines, exit codes, RBAC): janitor/README.md.
#
# Needs only bash, curl, jq (1.6 or 1.7), kubectl and BusyBox applets (mktemp, rm, head, base64, tr).
# Secret material (access key, token, password) never appears in an argv or an output line:
# it travels in shell variables and pipes only.
set -euo pipefail
# Byte semantics for bash's own string operations (lengths and offsets below are in bytes),
# whatever locale the pod has.
LC_ALL=C

# --- Backline SaaS API: every endpoint in one place ("METHOD PATH") ------------------------
readonly TOKEN_ENDPOINT="POST /api/v1/onprem/token"
readonly REGISTRY_ENDPOINT="GET /api/v1/onprem/registry-credentials"
readonly IMAGE_ENDPOINT="GET /api/v1/onprem/worker-image"

readonly FIELD_MANAGER="backline-janitor"
readonly EXPIRES_AT_ANNOTATION="backline.ai/expires-at"
readonly MANAGED_BY_LABEL="app.kubernetes.io/managed-by"
readonly MAX_ANSWER_BYTES=1048576

# --- jq library (pure arithmetic: identical results with jq 1.6 and 1.7, any libc, any TZ) --
# shellcheck disable=SC2016 # jq variables, not shell expansions
readonly JQ_LIB='
def days_in_month($y; $m):
  if $m == 2 then (if ($y % 4 == 0 and $y % 100 != 0) or $y % 400 == 0 then 29 else 28 end)
  elif ($m == 4 or $m == 6 or $m == 9 or $m == 11) then 30
  else 31 end;
# days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, days_from_civil)
def days_from_civil($y; $m; $d):
  (if $m <= 2 then $y - 1 else $y end) as $yy
  | ($yy / 400 | floor) as $era
  | ($yy - $era * 400) as $yoe
  | ((153 * (if $m > 2 then $m - 3 else $m + 9 end) + 2) / 5 | floor) as $mp
  | ($yoe * 365 + ($yoe / 4 | floor) - ($yoe / 100 | floor) + $mp + $d - 1) as $doe
  | $era * 146097 + $doe - 719468;
# RFC 3339 date-time -> epoch seconds (fraction dropped), or null when not RFC 3339 or longer
# than 64 characters (a bound before any regex work; 2026-11-25T13:00:00.123456789+05:30 is 35).
def rfc3339_epoch:
  if type != "string" or length > 64 then null else
    (capture("\\A(?<y>[0-9]{4})-(?<mo>[0-9]{2})-(?<d>[0-9]{2})[Tt ](?<h>[0-9]{2}):(?<mi>[0-9]{2}):(?<s>[0-9]{2})(?:\\.[0-9]+)?(?<z>[Zz]|[+-][0-9]{2}:[0-9]{2})\\z") // null) as $c
    | if $c == null then null else
        ($c.y | tonumber) as $y | ($c.mo | tonumber) as $mo | ($c.d | tonumber) as $d
        | ($c.h | tonumber) as $h | ($c.mi | tonumber) as $mi | ($c.s | tonumber) as $s
        | (if ($c.z == "Z" or $c.z == "z") then 0
           else ($c.z[1:3] | tonumber) as $oh | ($c.z[4:6] | tonumber) as $om
             | if $oh > 23 or $om > 59 then null
               else ($oh * 3600 + $om * 60) * (if $c.z[0:1] == "-" then -1 else 1 end) end
           end) as $off
        | if $mo < 1 or $mo > 12 or $d < 1 or $d > days_in_month($y; $mo)
             or $h > 23 or $mi > 59 or $s > 60 or $off == null then null
          else days_from_civil($y; $mo; $d) * 86400 + $h * 3600 + $mi * 60 + $s - $off end
      end
  end;
def nonempty_string: type == "string" and length > 0;
# What is wrong with an image reference, or null. <registry>/<name>:<tag> or
# <registry>/<name>@sha256:<64 hex>; the registry part must look like a registry (has a dot or
# a port, or is localhost), as Docker decides it. Bounded before any regex work by what a
# registry accepts (distribution/reference: name <= 255 characters, tag <= 128, digest exact):
# at most 255 + 1 + 128 characters in all.
# (\A and \z, not ^ and $: in the jq regex dialect $ also matches before a final newline.)
def image_problem:
  if length > 384 then "is \(length) characters long; a registry accepts at most 384 (name 255, tag 128)"
  else (capture("\\A(?<name>(?:localhost(?::[0-9]+)?|[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+(?::[0-9]+)?|[A-Za-z0-9-]+:[0-9]+)/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})\\z") // null) as $c
    | if $c == null then "is not <registry>/<name>:<tag> or <registry>/<name>@sha256:<digest>"
      elif ($c.name | length) > 255 then "has a name of \($c.name | length) characters; a registry accepts at most 255"
      else null end
  end;
# A value quoted for a message: at most $n characters (cut before quoting, so linear in $n).
def excerpt($n): (.[0:$n] | tojson) + (if length > $n then "…" else "" end);
'

# Reads a Secret (kubectl get -o json) and says whether it must be refreshed:
# "fresh<TAB><expiresAt>" or "refresh<TAB><reason>".
# shellcheck disable=SC2016
readonly JQ_SECRET_STATE='
(.metadata.annotations // {})[$ann] as $exp
| ($exp | rfc3339_epoch) as $e
| if ((.data // {})[$key] | nonempty_string | not) then "refresh\tunreadable: data key \($key) is missing or empty"
  elif $exp == null then "refresh\tunreadable: annotation \($ann) is missing"
  elif $e == null then "refresh\tunreadable: annotation \($ann) is not an RFC 3339 time (\($exp | excerpt(80)))"
  elif $e - now <= $window then "refresh\texpires at \($exp), within the \($window)s refresh window"
  else "fresh\t\($exp)" end
'

# One jq pass per SaaS answer: check its bytes, validate it, then build what the step needs.
# Input (raw): CONTEXT <0x1E> ANSWER, where CONTEXT is the object the step reads (JSON) or empty,
# and ANSWER is the answer's bytes in base64 (saas_request: bash never holds the raw bytes). The
# answer is refused when it holds a NUL byte or is not valid UTF-8: jq decodes invalid UTF-8 to
# U+FFFD, so the answer is valid exactly when decoding and re-encoding gives back the same base64.
# $context is bound before the step's `summary` and `output` (JQ_*_OUTPUT below) are defined.
# Output: "error<TAB><problem>", or "ok<TAB><N><TAB><summary><json>", where N is the summary's
# length in bytes and <json> is compact JSON to send to kubectl (see process_answer).
# shellcheck disable=SC2016
readonly JQ_ANSWER_PROLOGUE='
(split("\u001e") | [.[0], .[1]]) as [$context_text, $answer_base64]
| (if $context_text == "" then null else ($context_text | fromjson) end) as $context
| ($answer_base64 | @base64d) as $answer
| (if ($answer | @base64) != $answer_base64 then "the answer is not valid UTF-8"
   elif ($answer | index("\u0000")) != null then "the answer contains a NUL byte"
   else null end) as $byte_problem
| $answer |
'
# shellcheck disable=SC2016
readonly JQ_ANSWER='
def problem($doc):
  first(
    ($fields[] | select($doc[.] | nonempty_string | not) | "field \"\(.)\" is missing, empty or not a string"),
    (select($fields | index("expiresAt")) | select($doc.expiresAt | rfc3339_epoch == null)
      | "field \"expiresAt\" is not an RFC 3339 time (\($doc.expiresAt | excerpt(80)))"),
    (select($fields | index("image")) | ($doc.image | image_problem) as $p | select($p != null)
      | "field \"image\" \($p) (\($doc.image | excerpt(200)))"),
    null);
if $byte_problem != null then "error\t\($byte_problem)"
else
  (try (fromjson | [.]) catch null) as $w
  | if $w == null then "error\tthe answer is not JSON"
    elif ($w[0] | type) != "object" then "error\tthe answer is not a JSON object"
    else $w[0] as $doc | problem($doc) as $p
      | if $p != null then "error\t\($p)"
        else $doc | summary as $s | "ok\t\($s | utf8bytelength)\t\($s)\(output | tojson)" end
    end
end
'

# Secrets: the summary is the new expiry; the output is the manifest (secret values base64'd).
# shellcheck disable=SC2016
readonly JQ_EXPIRY_SUMMARY='
def summary:
  .expiresAt + (if (.expiresAt | rfc3339_epoch) - now <= $window
                then " (note: already within the \($window)s refresh window)" else "" end);
def secret($type; $data):
  {apiVersion: "v1", kind: "Secret", type: $type,
   metadata: {name: $name, namespace: $ns, labels: {($managed_by): $manager}, annotations: {($ann): .expiresAt}},
   data: $data};
'
# shellcheck disable=SC2016
readonly JQ_TOKEN_OUTPUT='
def output: secret("Opaque"; {token: (.token | @base64)});
'
# shellcheck disable=SC2016
readonly JQ_REGISTRY_OUTPUT='
def output:
  secret("kubernetes.io/dockerconfigjson";
         {".dockerconfigjson": ({auths: {(.registry): {username: .username, password: .password,
                                                       auth: ("\(.username):\(.password)" | @base64)}}}
                                | tojson | @base64)});
'
# Image ($context = the Deployment): the image to run is the answer's, with its registry replaced
# by $mirror (JANITOR_IMAGE_REGISTRY) when one is set: repository and tag or digest are kept, and
# a Docker Hub image with one path component gains Docker Hub's implicit "library/", as
# components/specs/site.ts (mirrorImage) does for the images the stack runs. The answer always
# has a registry part (image_problem). The summary compares the container's image with it
# ("nocontainer", "same<TAB>IMAGE" or "update<TAB>IMAGE<TAB>CURRENT", CURRENT last and cut to 400
# characters for the log line: it comes from the cluster, unbounded); the output is the
# strategic merge patch that sets it.
# shellcheck disable=SC2016
readonly JQ_IMAGE_OUTPUT='
def mirrored:
  if $mirror == "" then . else
    capture("\\A(?<registry>[^/]+)/(?<path>.+)\\z") as $c
    | ($c.path | split("@")[0] | sub(":[^/:]*\\z"; "")) as $repository
    | (if ($c.registry | IN("docker.io", "index.docker.io", "registry-1.docker.io"))
          and ($repository | contains("/") | not) then "library/" else "" end) as $library
    | "\($mirror)/\($library)\($c.path)"
  end;
def target: .image | mirrored;
def current: [($context.spec.template.spec.containers // [])[] | select(.name == $container)] | .[0];
def summary:
  current as $c
  | target as $t
  | if $c == null then "nocontainer"
    elif $c.image == $t then "same\t\($t)"
    else "update\t\($t)\t\($c.image // "<none>" | if length > 400 then .[0:400] + "…" else . end)" end;
def output: {spec: {template: {spec: {containers: [{name: $container, image: target}]}}}};
'

# Input: the manifest we tried to apply (JSON), then kubectl's error text (a JSON string).
# Output: the error text on one line, with every secret value cut out, in each form the script
# gave it to kubectl (the base64 data values), decoded, as the dockerconfig parts (password,
# user:password, its base64 auth) and each of these JSON-escaped once or twice: the password is
# escaped inside .dockerconfigjson, and an error that quotes a string, or quotes the
# .dockerconfigjson text, adds a level (`password="pw\"X\\x"` was once shown that way).
# shellcheck disable=SC2016
readonly JQ_REDACT='
def escaped: tojson | .[1:-1];
input as $m | input as $err
| [ (($m.data // {})[] | ., (try @base64d catch empty)),
    (($m.data // {})[".dockerconfigjson"] // empty
      | try (@base64d | fromjson | .auths[] | .password, .auth, "\(.username):\(.password)") catch empty)
  ] as $found
| [$found[] | select(type == "string") | ., escaped, (escaped | escaped) | select(length >= 4)]
| unique | sort_by(-length) as $secrets
| reduce $secrets[] as $s ($err; split($s) | join("[redacted]"))
| .[0:1200] | gsub("[\\r\\n\\t]+"; " ") | .[0:600]
'

# --- output helpers -----------------------------------------------------------------------
log() { printf '%s\n' "$*"; }
step_error() { printf '%s: FAILED: %s\n' "$1" "$2" >&2; }
config_error() {
  printf 'janitor: invalid configuration: %s\n' "$1" >&2
  exit 2
}

# --- configuration --------------------------------------------------------------------------
readonly DNS_LABEL_RE='^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'        # and at most 63 characters
readonly DNS_SUBDOMAIN_RE='^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'    # and at most 253 characters
readonly POSITIVE_INT_RE='^[1-9][0-9]{0,8}$'
# scheme, host (name, IPv4 or [IPv6]), optional port and path; no user info, query or fragment
readonly URL_RE='^https?://([A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/[^[:space:]?#]*)?$'
# a registry mirror: host, optional port, optional path of lower-case components (no scheme)
readonly MIRROR_RE='^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(:[0-9]{1,5})?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$'

require_match() { # NAME VALUE REGEX WHAT [show-value]
  [[ $2 =~ $3 ]] && return 0
  if [[ ${5:-show} == show ]]; then
    config_error "$1 must be $4 (got \"$2\")"
  fi
  config_error "$1 must be $4 (value not shown)"
}

require_name() { # NAME VALUE REGEX MAX_LENGTH WHAT
  ((${#2} <= $4)) || config_error "$1 must be $5 of at most $4 characters (got \"$2\")"
  require_match "$1" "$2" "$3" "$5"
}

validate_config() {
  local v
  for v in BACKLINE_BASE_URL BACKLINE_ACCESS_KEY JANITOR_NAMESPACE; do
    [[ -n ${!v:-} ]] || config_error "$v is required and must not be empty"
  done
  # The access key is never echoed, not even in this message.
  if [[ $BACKLINE_ACCESS_KEY =~ [[:cntrl:]] ]]; then
    config_error "BACKLINE_ACCESS_KEY must not contain control characters (value not shown)"
  fi
  require_match BACKLINE_BASE_URL "$BACKLINE_BASE_URL" "$URL_RE" \
    "an http(s) URL without credentials, query or fragment" hide # it might hold a password

  REFRESH_WINDOW=${JANITOR_REFRESH_WINDOW_SECONDS:-900}
  HTTP_TIMEOUT=${JANITOR_HTTP_TIMEOUT_SECONDS:-10}
  UPDATE_IMAGE=${JANITOR_UPDATE_WORKER_IMAGE:-true}
  NS=$JANITOR_NAMESPACE
  JWT_SECRET=${JANITOR_JWT_SECRET:-jwt-token}
  DOCKERCONFIG_SECRET=${JANITOR_DOCKERCONFIG_SECRET:-dockerconfig}
  WORKER_DEPLOYMENT=${JANITOR_WORKER_DEPLOYMENT:-worker}
  WORKER_CONTAINER=${JANITOR_WORKER_CONTAINER:-worker}

  require_match JANITOR_REFRESH_WINDOW_SECONDS "$REFRESH_WINDOW" "$POSITIVE_INT_RE" "a positive integer"
  require_match JANITOR_HTTP_TIMEOUT_SECONDS "$HTTP_TIMEOUT" "$POSITIVE_INT_RE" "a positive integer"
  require_match JANITOR_UPDATE_WORKER_IMAGE "$UPDATE_IMAGE" '^(true|false)$' "true or false"
  require_name JANITOR_NAMESPACE "$NS" "$DNS_LABEL_RE" 63 "a namespace name (DNS-1123 label)"
  require_name JANITOR_JWT_SECRET "$JWT_SECRET" "$DNS_SUBDOMAIN_RE" 253 "a Kubernetes object name"
  require_name JANITOR_DOCKERCONFIG_SECRET "$DOCKERCONFIG_SECRET" "$DNS_SUBDOMAIN_RE" 253 "a Kubernetes object name"
  require_name JANITOR_WORKER_DEPLOYMENT "$WORKER_DEPLOYMENT" "$DNS_SUBDOMAIN_RE" 253 "a Kubernetes object name"
  require_name JANITOR_WORKER_CONTAINER "$WORKER_CONTAINER" "$DNS_LABEL_RE" 63 "a container name (DNS-1123 label)"

  # The site's settings: a private CA bundle for curl, a registry mirror.
  CA_BUNDLE=${JANITOR_CA_BUNDLE:-}
  if [[ -n $CA_BUNDLE && ! ( -f $CA_BUNDLE && -r $CA_BUNDLE ) ]]; then
    config_error "JANITOR_CA_BUNDLE must be a readable PEM file (got \"$CA_BUNDLE\"); is the CA bundle's ConfigMap mounted?"
  fi
  IMAGE_REGISTRY=${JANITOR_IMAGE_REGISTRY:-}
  if [[ -n $IMAGE_REGISTRY ]]; then
    require_match JANITOR_IMAGE_REGISTRY "$IMAGE_REGISTRY" "$MIRROR_RE" \
      "a registry host with an optional port and path, such as registry.corp.example.com:5000/backline"
  fi
  collect_proxy_credentials

  BASE_URL=$BACKLINE_BASE_URL
  while [[ $BASE_URL == */ ]]; do BASE_URL=${BASE_URL%/}; done
  CONNECT_TIMEOUT=$((HTTP_TIMEOUT < 5 ? HTTP_TIMEOUT : 5))

  local tool
  for tool in curl jq kubectl mktemp rm head base64 tr; do
    command -v "$tool" >/dev/null 2>&1 || config_error "required command '$tool' not found on PATH"
  done
  readonly REFRESH_WINDOW HTTP_TIMEOUT UPDATE_IMAGE NS JWT_SECRET DOCKERCONFIG_SECRET \
    WORKER_DEPLOYMENT WORKER_CONTAINER BASE_URL CONNECT_TIMEOUT CA_BUNDLE IMAGE_REGISTRY
}

# --- proxy credentials ----------------------------------------------------------------------
# curl reads the proxy from the environment (HTTPS_PROXY, https_proxy, …), so a proxy password
# never enters an argv; but curl quotes the whole proxy URL in some errors ("Unsupported proxy
# syntax in '<url>'"). Every user:password part of those variables, and each password alone, is
# cut out of curl's messages before they are printed.
PROXY_SECRETS=()
collect_proxy_credentials() {
  local name value userinfo
  for name in HTTPS_PROXY https_proxy HTTP_PROXY http_proxy ALL_PROXY all_proxy; do
    value=${!name:-}
    [[ $value == *://*@* ]] || continue
    userinfo=${value#*://}
    userinfo=${userinfo%@*} # up to the last @: a malformed URL may hold more than one
    PROXY_SECRETS+=("$userinfo")
    if [[ $userinfo == *:* ]]; then PROXY_SECRETS+=("${userinfo#*:}"); fi
  done
}

redact_proxy_credentials() { # TEXT: printed with every proxy credential replaced by [redacted]
  local text=$1 secret
  for secret in "${PROXY_SECRETS[@]}"; do
    if [[ -n $secret ]]; then text=${text//"$secret"/[redacted]}; fi
  done
  printf '%s' "$text"
}

# --- kubectl helpers ------------------------------------------------------------------------
# kubectl's stderr goes to $ERR_FILE (in a private temp dir); stdout stays in shell variables.
stderr_text() { # kubectl's error text on one line (reads, deployment patch: nothing secret)
  # Warnings (e.g. Pod Security "would violate") come first and could push the error itself past
  # the cut, so they are dropped unless nothing else was said.
  local msg="" line
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line == Warning:* ]] || msg+="${msg:+ }$line"
  done <"$ERR_FILE"
  if [[ -z $msg ]]; then
    msg=$(<"$ERR_FILE")
    msg=${msg//$'\n'/ }
  fi
  printf '%s' "${msg:0:600}"
}

stderr_text_redacted() { # $1 = the manifest that was being applied
  { printf '%s\n' "$1"; jq -Rs . <"$ERR_FILE"; } | jq -rn "$JQ_REDACT"
}

# --- SaaS helper ----------------------------------------------------------------------------
# saas_request STEP "METHOD PATH": prints the answer of a 200, base64-encoded, on stdout and
# returns 0; otherwise prints "STEP: FAILED: ..." on stderr and returns 1.
#
# The answer goes from curl through `head -c` straight into base64. So at most
# MAX_ANSWER_BYTES + 1 bytes are ever read, whatever curl's version (--max-filesize stops an
# answer without a Content-Length only from curl 8.4 on; here it only makes curl stop sooner),
# and bash never holds the raw bytes: it would drop a NUL byte, and jq would rewrite invalid
# UTF-8, before anything could check them (JQ_ANSWER_PROLOGUE does, on the base64).
# The status code comes from the header dump and curl's own error text from its stderr
# (-sS), so no --write-out variable newer than curl 7.55 (-H @-) is needed.
saas_request() {
  local step=$1 method=${2%% *} path=${2#* }
  local url="$BASE_URL$path" body rc code=000 msg="" cause size line status_line=true too_large=false
  local -a args=(--silent --show-error --proto '=http,https' --max-time "$HTTP_TIMEOUT"
    --connect-timeout "$CONNECT_TIMEOUT" --max-filesize "$MAX_ANSWER_BYTES"
    --dump-header "$CURL_HEADERS" --header @- --header 'Accept: application/json' --request "$method")
  # A private CA (JANITOR_CA_BUNDLE): curl trusts exactly these roots. A path, nothing secret.
  if [[ -n $CA_BUNDLE ]]; then args+=(--cacert "$CA_BUNDLE"); fi
  if [[ $method == POST ]]; then
    args+=(--data-binary '' --header 'Content-Type:') # empty body, Content-Length: 0
  fi
  : >"$CURL_HEADERS"
  # The Authorization header is read from stdin (curl -H @-): the key never enters an argv.
  if ! body=$(printf 'Authorization: Bearer %s\n' "$BACKLINE_ACCESS_KEY" |
    {
      rc=0
      curl "${args[@]}" -- "$url" 2>"$CURL_STDERR" || rc=$?
      printf '%s' "$rc" >"$CURL_EXIT"
    } | head -c "$((MAX_ANSWER_BYTES + 1))" | base64 | tr -d '\n'); then
    # (tr, not base64 -w 0: that option is missing from older BusyBox builds)
    step_error "$step" "could not read the answer of $method $url (head, base64 or tr failed)"
    return 1
  fi
  rc=$(<"$CURL_EXIT")
  # Bytes read (at most MAX_ANSWER_BYTES + 1), from the base64 length and its padding.
  size=$((${#body} * 3 / 4))
  case ${body: -2} in
    ==) size=$((size - 2)) ;;
    ?=) size=$((size - 1)) ;;
  esac
  # The status line opens each header block (a 1xx answer adds one before the final one).
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    if [[ -z $line ]]; then
      status_line=true
    elif [[ $status_line == true ]]; then
      status_line=false
      if [[ $line =~ ^HTTP/[0-9.]+\ ([0-9]{3}) ]]; then code=${BASH_REMATCH[1]}; fi
    fi
  done <"$CURL_HEADERS"
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line == 'curl: ('* ]]; then msg=${line#'curl: ('*') '}; fi
  done <"$CURL_STDERR"
  msg=$(redact_proxy_credentials "$msg")
  msg=${msg:0:300}

  # Too large: head stopped reading (curl then fails to write, exit 23) or curl refused the
  # Content-Length (exit 63). Only a 200 needs its body; any other status is reported as such.
  if ((size > MAX_ANSWER_BYTES || rc == 63)); then
    too_large=true
    if [[ $code == 200 ]]; then
      step_error "$step" "malformed answer from $method $url: the answer is larger than $MAX_ANSWER_BYTES bytes"
      return 1
    fi
  fi
  if ((rc != 0)) && [[ $too_large == false ]]; then
    case $rc in
      5) cause="could not resolve or use the proxy ($msg)" ;;
      6) cause="DNS failure, could not resolve the host ($msg)" ;;
      7) cause="connection refused or host unreachable ($msg)" ;;
      28) cause="timeout, no complete answer within ${HTTP_TIMEOUT}s ($msg)" ;;
      52) cause="the server closed the connection without an answer ($msg)" ;;
      35) cause="the TLS handshake failed ($msg)" ;;
      56)
        if [[ $msg == *CONNECT* || $msg == *[Pp]roxy* ]]; then
          cause="the proxy refused the connection ($msg)"
        else
          cause="the connection broke while receiving the answer ($msg)"
        fi
        ;;
      60) cause="the server's TLS certificate is not trusted ($msg); behind a TLS-inspecting proxy or with a private CA, give its roots in JANITOR_CA_BUNDLE (caBundle in the stack)" ;;
      *) cause="request failed, curl exit code $rc ($msg)" ;;
    esac
    step_error "$step" "SaaS unavailable: $method $url: $cause"
    return 1
  fi
  case $code in
    200)
      printf '%s' "$body"
      return 0
      ;;
    401 | 403) step_error "$step" "the access key was rejected by $BASE_URL (HTTP $code on $method $path)" ;;
    5??) step_error "$step" "SaaS unavailable: $method $url answered HTTP $code" ;;
    *) step_error "$step" "unexpected answer: $method $url answered HTTP $code" ;;
  esac
  return 1
}

# process_answer STEP "METHOD PATH" BODY_BASE64 CONTEXT OUTPUT_JQ FIELDS_JSON [jq args...]
# Checks and validates the answer and sets ANSWER_SUMMARY and ANSWER_OUTPUT (the JSON for
# kubectl) in the caller's scope (see JQ_ANSWER); returns 1 (and says why on stderr) when the
# answer is malformed. Every string operation here is linear in the answer's size: the
# summary's length comes from jq, and bash cuts by offset (${s%%$'\n'*} would be quadratic).
process_answer() {
  local step=$1 endpoint=$2 body=$3 context=$4 output_jq=$5 fields=$6 result length
  shift 6
  if ! result=$(printf '%s\x1e%s' "$context" "$body" | jq -Rrs --argjson fields "$fields" "$@" \
    "$JQ_LIB $JQ_ANSWER_PROLOGUE $output_jq $JQ_ANSWER" 2>/dev/null); then
    # (jq's own message is not shown: it may quote parts of the answer, i.e. secret material)
    step_error "$step" "could not process the answer from $endpoint (jq failed)"
    return 1
  fi
  if [[ $result != ok$'\t'* ]]; then
    step_error "$step" "malformed answer from ${endpoint%% *} $BASE_URL${endpoint#* }: ${result#error$'\t'}"
    return 1
  fi
  length=${result:3:12}
  length=${length%%$'\t'*}
  ANSWER_SUMMARY=${result:4+${#length}:length}
  ANSWER_OUTPUT=${result:4+${#length}+length}
}

# --- steps ----------------------------------------------------------------------------------
# refresh_secret STEP SECRET DATA_KEY "METHOD PATH" OUTPUT_JQ FIELDS_JSON
refresh_secret() {
  local step=$1 secret=$2 key=$3 endpoint=$4 output_jq=$5 fields=$6
  local out state reason body ANSWER_SUMMARY ANSWER_OUTPUT

  if ! out=$(kubectl get secret "$secret" -n "$NS" -o json --ignore-not-found 2>"$ERR_FILE"); then
    step_error "$step" "could not read Secret $secret: $(stderr_text)"
    return 1
  fi
  if [[ -z $out ]]; then
    state=$'refresh\tSecret '"$secret"' is missing'
  elif ! state=$(printf '%s' "$out" | jq -r --arg ann "$EXPIRES_AT_ANNOTATION" --arg key "$key" \
    --argjson window "$REFRESH_WINDOW" "$JQ_LIB $JQ_SECRET_STATE" 2>/dev/null); then
    step_error "$step" "could not parse Secret $secret as returned by kubectl (jq failed)"
    return 1
  fi
  if [[ ${state%%$'\t'*} == fresh ]]; then
    log "$step: fresh until ${state#*$'\t'}, skipped"
    return 0
  fi
  reason=${state#*$'\t'}

  body=$(saas_request "$step" "$endpoint") || return 1
  process_answer "$step" "$endpoint" "$body" "" "$JQ_EXPIRY_SUMMARY $output_jq" "$fields" \
    --argjson window "$REFRESH_WINDOW" --arg name "$secret" --arg ns "$NS" \
    --arg managed_by "$MANAGED_BY_LABEL" --arg manager "$FIELD_MANAGER" \
    --arg ann "$EXPIRES_AT_ANNOTATION" || return 1
  # One API call that creates or replaces; the manifest (secret material) goes in on stdin.
  if ! printf '%s' "$ANSWER_OUTPUT" | kubectl apply --server-side --field-manager="$FIELD_MANAGER" \
    --force-conflicts -n "$NS" -f - >/dev/null 2>"$ERR_FILE"; then
    step_error "$step" "could not write Secret $secret: $(stderr_text_redacted "$ANSWER_OUTPUT")"
    return 1
  fi
  log "$step: refreshed ($reason), valid until $ANSWER_SUMMARY"
}

step_token() {
  refresh_secret token "$JWT_SECRET" token "$TOKEN_ENDPOINT" "$JQ_TOKEN_OUTPUT" \
    '["token", "expiresAt"]'
}

step_registry() {
  refresh_secret registry "$DOCKERCONFIG_SECRET" .dockerconfigjson "$REGISTRY_ENDPOINT" \
    "$JQ_REGISTRY_OUTPUT" '["registry", "username", "password", "expiresAt"]'
}

step_image() {
  local out body ANSWER_SUMMARY ANSWER_OUTPUT rest current image label=$WORKER_DEPLOYMENT
  [[ $WORKER_CONTAINER == "$WORKER_DEPLOYMENT" ]] || label="$WORKER_DEPLOYMENT/$WORKER_CONTAINER"

  if [[ $UPDATE_IMAGE == false ]]; then
    log "image: automatic updates off (pinned), skipped"
    return 0
  fi
  if ! out=$(kubectl get deployment "$WORKER_DEPLOYMENT" -n "$NS" -o json --ignore-not-found 2>"$ERR_FILE"); then
    step_error image "could not read Deployment $WORKER_DEPLOYMENT: $(stderr_text)"
    return 1
  fi
  if [[ -z $out ]]; then
    log "image: deployment $WORKER_DEPLOYMENT not found, skipped"
    return 0
  fi

  body=$(saas_request image "$IMAGE_ENDPOINT") || return 1
  # One jq pass: validate the answer, find the container's image, build the patch.
  process_answer image "$IMAGE_ENDPOINT" "$body" "$out" "$JQ_IMAGE_OUTPUT" '["image"]' \
    --arg container "$WORKER_CONTAINER" --arg mirror "$IMAGE_REGISTRY" || return 1
  case $ANSWER_SUMMARY in
    nocontainer)
      step_error image "Deployment $WORKER_DEPLOYMENT has no container named $WORKER_CONTAINER"
      return 1
      ;;
    same$'\t'*)
      log "image: $label already runs ${ANSWER_SUMMARY#same$'\t'}, skipped"
      return 0
      ;;
  esac
  # "update<TAB>IMAGE<TAB>CURRENT": IMAGE is at most 384 characters (image_problem).
  rest=${ANSWER_SUMMARY#update$'\t'}
  image=${rest%%$'\t'*}
  current=${rest:${#image}+1}
  if ! kubectl patch deployment "$WORKER_DEPLOYMENT" -n "$NS" --type=strategic \
    --field-manager="$FIELD_MANAGER" -p "$ANSWER_OUTPUT" >/dev/null 2>"$ERR_FILE"; then
    step_error image "could not update Deployment $WORKER_DEPLOYMENT: $(stderr_text)"
    return 1
  fi
  log "image: updated $label from $current to $image"
}

# --- main -----------------------------------------------------------------------------------
main() {
  validate_config

  WORK_DIR=$(mktemp -d 2>/dev/null) ||
    config_error "cannot create a temporary directory (TMPDIR=${TMPDIR:-/tmp} must be writable)"
  readonly WORK_DIR ERR_FILE="$WORK_DIR/stderr" CURL_HEADERS="$WORK_DIR/curl-headers" \
    CURL_STDERR="$WORK_DIR/curl-stderr" CURL_EXIT="$WORK_DIR/curl-exit"
  trap 'rm -rf -- "$WORK_DIR"' EXIT
  trap 'exit 143' TERM INT

  local failed=() step
  for step in token registry image; do
    "step_$step" || failed+=("$step")
  done
  if ((${#failed[@]} > 0)); then
    printf 'janitor: %d of 3 steps failed: %s\n' "${#failed[@]}" "${failed[*]}" >&2
    exit 1
  fi
}

main "$@"
