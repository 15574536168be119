#!/usr/bin/env python3
"""Writes the small golden cases of capstan-helm and (re)records their expectations with the
real `helm template` (Helm v4.1.4).

    python3 crates/helm/testdata/gen.py [--oracle ~/.cache/capstan/oracles/bin] [NAME_FILTER]

Every case is a folder holding its chart(s), a `cmd` file (the exact command, run from the
folder), and `expected.yaml` (stdout) or `expected_error.txt` (stderr). A `mask` file lists
regexes blanked on both sides before comparing (random output). Cases are defined below with
`case(...)`; the conformance charts live in `_charts/`.
"""
import os
import shutil
import subprocess
import sys
import tarfile
import io

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = []

CHART_V2 = "apiVersion: v2\nname: {name}\nversion: 0.1.0\nappVersion: \"1.0\"\n"


def case(name, tpl=None, values=None, args="", files=None, chart="mychart", mask=None, release="rel", raw_cmd=None, chart_yaml=None, block=False):
    """A chart `chart/` with templates/test.yaml = tpl, values.yaml = values, plus files.
    With block=True the template's lines are wrapped in a YAML literal block, so any text it
    prints stays valid YAML."""
    if block and tpl is not None:
        tpl = "out: |\n" + "".join("  " + l + "\n" for l in tpl.splitlines())
    fs = {}
    fs[f"{chart}/Chart.yaml"] = chart_yaml if chart_yaml is not None else CHART_V2.format(name=chart)
    if values is not None:
        fs[f"{chart}/values.yaml"] = values
    if tpl is not None:
        fs[f"{chart}/templates/test.yaml"] = tpl
    for k, v in (files or {}).items():
        if k.startswith(chart + "/") or k.startswith("nochart/") or k in args.split("=")[-1:] or any(k == w or w.endswith("=" + k) for w in args.split()):
            fs[k] = v
        else:
            fs[f"{chart}/{k}"] = v
    cmd = raw_cmd if raw_cmd else f"helm template {release} {chart} {args}".strip()
    CASES.append((name, fs, cmd, mask))


def out(expr):
    """A template printing one expression under `out:`."""
    return "out: |\n  {{ " + expr + " }}\n"


# ---------------------------------------------------------------- Go text/template: control
case("tpl-if-else-if", "{{- $v := .Values.v }}\nr: {{ if eq $v 1.0 }}one{{ else if eq $v 2.0 }}two{{ else }}other{{ end }}\n", "v: 2\n")
case("tpl-if-truthiness", """a: {{ if .Values.zero }}t{{ else }}f{{ end }}
b: {{ if .Values.emptys }}t{{ else }}f{{ end }}
c: {{ if .Values.list }}t{{ else }}f{{ end }}
d: {{ if .Values.emptylist }}t{{ else }}f{{ end }}
e: {{ if .Values.map }}t{{ else }}f{{ end }}
f: {{ if .Values.emptymap }}t{{ else }}f{{ end }}
g: {{ if .Values.missing }}t{{ else }}f{{ end }}
h: {{ if .Values.f }}t{{ else }}f{{ end }}
""", "zero: 0\nemptys: ''\nlist: [1]\nemptylist: []\nmap: {a: 1}\nemptymap: {}\nf: false\n")
case("tpl-with-else", "a: {{ with .Values.a }}{{ .b }}{{ else }}none{{ end }}\nb: {{ with .Values.x }}{{ . }}{{ else }}none{{ end }}\n", "a: {b: inner}\n")
case("tpl-else-with", "a: {{ with .Values.x }}x{{ else with .Values.y }}{{ . }}{{ else }}none{{ end }}\n", "y: why\n")
case("tpl-range-list", "items:\n{{- range .Values.l }}\n- {{ . }}\n{{- end }}\n", "l: [a, b, c]\n")
case("tpl-range-index", "items:\n{{- range $i, $e := .Values.l }}\n- {{ $i }}={{ $e }}\n{{- end }}\n", "l: [a, b, c]\n")
case("tpl-range-map-sorted", "items:\n{{- range $k, $v := .Values.m }}\n  {{ $k }}: {{ $v }}\n{{- end }}\n", "m: {zeta: 1, alpha: 2, Mid: 3, _u: 4}\n")
case("tpl-range-int", "n: \"{{ range 5 }}{{ . }}{{ end }}\"\nm: \"{{ range $i := 3 }}[{{ $i }}]{{ end }}\"\n")
case("tpl-range-else", "a: {{ range .Values.empty }}x{{ else }}empty{{ end }}\nb: {{ range .Values.missing }}x{{ else }}missing{{ end }}\n", "empty: []\n")
case("tpl-range-break-continue", "a: \"{{ range .Values.l }}{{ if eq . 3.0 }}{{ continue }}{{ end }}{{ if eq . 5.0 }}{{ break }}{{ end }}{{ . }}{{ end }}\"\n", "l: [1, 2, 3, 4, 5, 6]\n")
case("tpl-range-dot-and-root", "{{- range .Values.l }}\n{{ . }}: {{ $.Release.Name }}\n{{- end }}\n", "l: [a, b]\n")
case("tpl-variables-scope", """{{- $x := "outer" }}
{{- if true }}{{ $x := "inner" }}{{ end }}
a: {{ $x }}
{{- if true }}{{ $x = "assigned" }}{{ end }}
b: {{ $x }}
{{- range $i := list 1 2 }}{{ $x = $i }}{{ end }}
c: {{ $x }}
""")
case("tpl-define-template", """{{- define "greet" }}hello {{ . }}{{ end -}}
a: {{ template "greet" "world" }}
b: {{ include "greet" .Values.who }}
""", "who: you\n")
case("tpl-block", "a: {{ block \"blk\" . }}default {{ .Values.x }}{{ end }}\n", "x: 1\n")
case("tpl-block-overridden", "a: {{ block \"blk2\" . }}default{{ end }}\n", files={"templates/_over.tpl": "{{ define \"blk2\" }}overridden{{ end }}"})
case("tpl-whitespace-trim", "a: [ {{- \"x\" -}} ]\nb: {{ \"y\" }}   {{- \"z\" }}\nc: {{ 1 }}{{/* comment */}}{{ 2 }}\nd: {{- /* trimmed comment */ -}} 3\n")
case("tpl-comments", "{{/* a comment\n spanning lines */}}\na: 1\n{{- /* trimmed */}}\nb: 2\n")
case("tpl-pipelines", "a: {{ \"abc\" | upper | printf \"%s-%s\" \"x\" }}\nb: {{ (list 1 2 3) | len }}\nc: {{ .Values.s | default \"d\" | quote }}\n")
case("tpl-parens-and-chains", "a: {{ (dict \"k\" (dict \"n\" \"v\")).k.n }}\nb: {{ (index .Values.l 1).name }}\n", "l: [{name: a}, {name: b}]\n")
case("tpl-nested-define-recursion", """{{- define "count" }}{{ if gt (int .) 0 }}{{ . }} {{ include "count" (sub (int .) 1) }}{{ end }}{{ end -}}
a: "{{ include "count" 4 }}"
""")
case("tpl-template-dot-nil", "{{- define \"t\" }}[{{ .x }}]{{ end -}}\na: {{ template \"t\" }}\nb: {{ template \"t\" .Values.missing }}\n")
case("tpl-raw-strings-and-escapes", "a: {{ `raw \\n` | quote }}\nb: {{ \"tab\\there\" | quote }}\nc: {{ \"\\u00e9\" }}\nd: {{ 'x' }}\n", block=True)
case("tpl-number-literals", "a: {{ 0x1F }} {{ 0o17 }} {{ 1_000 }} {{ 1e3 }} {{ 1.50 }} {{ -2 }}\nb: {{ typeOf 1 }} {{ typeOf 1.0 }} {{ typeOf 'a' }}\n", block=True)
case("tpl-define-in-partial-precedence", "a: {{ include \"dup\" . }}\n", files={"templates/_a.tpl": "{{ define \"dup\" }}from a{{ end }}", "templates/_b.tpl": "{{ define \"dup\" }}from b{{ end }}"})
case("tpl-empty-define-does-not-override", "a: {{ include \"keep\" . }}\n", files={"templates/_a.tpl": "{{ define \"keep\" }}   {{ end }}", "templates/_b.tpl": "{{ define \"keep\" }}kept{{ end }}"})

# ---------------------------------------------------------------- built-ins
case("fn-and-or", "a: {{ and 1 \"x\" }} {{ and 1 0 \"x\" }} {{ or 0 \"\" }} {{ or 0 \"y\" 3 }}\nb: {{ and .Values.missing .Values.missing.deep }}\nc: {{ or true .Values.missing.deep }}\n", block=True)
case("fn-eq-multi", "a: {{ eq 2 1 2 3 }} {{ eq \"a\" \"b\" \"c\" }} {{ ne 1 2 }} {{ eq .Values.missing nil }}\nb: {{ eq .Values.s \"x\" }} {{ eq true true }}\n", "s: x\n", block=True)
case("fn-compare", "a: {{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }} {{ lt .Values.f 2.0 }}\n", "f: 1\n", block=True)
case("fn-index", "a: {{ index .Values.m \"k\" }} {{ index .Values.l 1 }} {{ index .Values.nn \"a\" \"b\" }}\nb: {{ index .Values.m \"missing\" }}\nc: {{ index \"abc\" 1 }}\n", "m: {k: v}\nl: [x, y]\nnn: {a: {b: deep}}\n", block=True)
case("fn-len", "a: {{ len .Values.l }} {{ len \"héllo\" }} {{ len .Values.m }} {{ len (list) }}\n", "l: [1, 2]\nm: {a: 1}\n", block=True)
case("fn-not", "a: {{ not true }} {{ not 0 }} {{ not \"\" }} {{ not .Values.missing }} {{ not (list 1) }}\n", block=True)
case("fn-print-family", "a: {{ print 1 2 \"x\" 3 }}\nb: {{ print \"a\" \"b\" }}\nc: {{ println \"x\" 1 | quote }}\nd: {{ print nil }}\n", block=True)
case("fn-printf-verbs", """a: {{ printf "%d|%5d|%-5d|%05d|%x|%X|%o|%b|%c" 42 42 42 42 255 255 8 5 65 }}
b: {{ printf "%s|%q|%v|%10s|%-10s|%.2s" "str" "q\\"s" "v" "r" "l" "trunc" }}
c: {{ printf "%f|%.2f|%e|%g|%G|%8.3f" 3.14159 3.14159 1234.5678 0.000012 1e21 2.5 }}
d: {{ printf "%t|%v|%v" true .Values.m .Values.l }}
e: {{ printf "%d" .Values.f }}
f: {{ printf "%s" 5 }}
g: {{ printf "%v %v" 1 }}
h: {{ printf "x" 1 2 }}
i: {{ printf "%%|%T" 1 }}
""", "m: {b: 2, a: 1}\nl: [x, 1]\nf: 80\n", block=True)
case("fn-html-js-urlquery", "a: {{ html \"<a href='x'>&</a>\" | quote }}\nb: {{ js \"it's <b>\" | quote }}\nc: {{ urlquery \"a b&c=d/é\" }}\n", block=True)

# ---------------------------------------------------------------- numbers and values types
case("num-yaml-floats", """a: {{ .Values.a }} {{ typeOf .Values.a }}
b: {{ .Values.b }}
c: {{ .Values.c }}
d: {{ .Values.d }}
e: {{ .Values.e }}
f: {{ .Values.f }}
g: {{ .Values.g }}
h: {{ .Values.h }}
i: {{ .Values.i }}
""", "a: 1\nb: 1.0\nc: 1e6\nd: 12345678\ne: 0.5\nf: 0777\ng: 0x1F\nh: 123456\ni: -3.25\n")
case("num-set-ints", "a: {{ .Values.a }} {{ typeOf .Values.a }}\nb: {{ .Values.b }} {{ typeOf .Values.b }}\nc: {{ .Values.c }} {{ typeOf .Values.c }}\nd: {{ .Values.d | quote }} {{ typeOf .Values.d }}\n", args="--set a=5 --set b=1.5 --set c=true --set d=007", block=True)
case("num-set-large", "a: {{ .Values.a }}\nb: {{ .Values.b }}\n", "b: 9007199254740993\n", args="--set a=9007199254740993")
case("num-yaml11-bools", "a: {{ .Values.a }} {{ typeOf .Values.a }}\nb: {{ .Values.b }}\nc: {{ .Values.c }}\nd: {{ .Values.d | quote }}\n", "a: yes\nb: off\nc: On\nd: \"yes\"\n")
case("num-printf-int-on-float", "a: {{ printf \"%d\" .Values.port }}\nb: {{ printf \"%d\" (int .Values.port) }}\nc: {{ .Values.port | int }}\n", "port: 8080\n", block=True)
case("num-math-types", "a: {{ add 1 2 | typeOf }} {{ add1 .Values.f }} {{ len (list) | typeOf }}\nb: {{ div 7 2 }} {{ mod 7 2 }} {{ mul 2 3 4 }} {{ sub 10 .Values.f }}\n", "f: 2.9\n", block=True)

# ---------------------------------------------------------------- missing keys
case("missing-no-value", "a: {{ .Values.missing }}\nb: \"{{ .Values.missing }}\"\nc: {{ printf \"%v\" .Values.missing }}\nd: {{ .Values.missing | quote }}\ne: {{ .Release.Nope }}\n", block=True)
case("missing-toyaml-null", "a: {{ toYaml .Values.missing }}\nb: {{ toJson .Values.missing }}\n")

# ---------------------------------------------------------------- sprig strings
case("sprig-case", """a: {{ upper "hello" }} {{ lower "HeLLo" }} {{ title "hello world" }} {{ untitle "Hello World" }}
b: {{ snakecase "FirstName" }} {{ camelcase "first_name" }} {{ kebabcase "FirstName" }} {{ swapcase "Hello World" }}
c: {{ initials "first last" }} {{ nospace " a b  c " }}
""", block=True)
case("sprig-trim", """a: "{{ trim "  x  " }}" "{{ trimAll "$" "$5.00$" }}" "{{ trimSuffix "-" "ab-" }}" "{{ trimPrefix "-" "-ab" }}"
""", block=True)
case("sprig-trunc-abbrev-substr", """a: {{ trunc 5 "hello world" }} {{ trunc -5 "hello world" }} {{ trunc 50 "short" }}
b: {{ abbrev 5 "hello world" }} {{ abbrevboth 5 10 "1234 5678 9123" }}
c: {{ substr 0 5 "hello world" }} {{ substr 6 -1 "hello world" }}
""", block=True)
case("sprig-repeat-contains", "a: {{ repeat 3 \"ab\" }} {{ contains \"cat\" \"catch\" }} {{ hasPrefix \"ca\" \"cat\" }} {{ hasSuffix \"at\" \"cat\" }}\n", block=True)
case("sprig-quote", "a: {{ quote \"x\" 1 nil \"y\" }}\nb: {{ squote \"x\" 2 }}\nc: {{ cat \"a\" 1 nil \"b\" }}\nd: {{ quote .Values.missing }}|\n", block=True)
case("sprig-indent", "a:\n{{ \"x: 1\\ny: 2\" | indent 2 }}\nb: {{ \"p: 1\\nq: 2\" | nindent 2 }}\n")
case("sprig-replace-plural", "a: {{ replace \" \" \"-\" \"a b c\" }} {{ plural \"one\" \"many\" 1 }} {{ plural \"one\" \"many\" 2 }}\n", block=True)
case("sprig-wrap", "a: |\n  {{ wrap 10 \"the quick brown fox jumps over\" | nindent 2 }}\nb: {{ wrapWith 5 \"\\t\" \"Hello World\" | quote }}\n")
case("sprig-split-join", """a: {{ $s := split "," "a,b,c" }}{{ $s._0 }}{{ $s._2 }}
b: {{ splitList "," "a,b,c" | join "-" }}
c: {{ splitn "," 2 "a,b,c" | toJson }}
d: {{ join "," (list 1 "b" nil 2.5) }}
e: {{ list "c" "a" "b" | sortAlpha | toJson }}
f: {{ toStrings (list 1 2) | toJson }}
""", block=True)
case("sprig-regex", """a: {{ regexMatch "^[a-z]+$" "abc" }} {{ regexMatch "[" "x" }}
b: {{ regexFind "[0-9]+" "ab123cd45" }} {{ regexFindAll "[0-9]+" "a1b22c333" -1 | toJson }} {{ regexFindAll "[0-9]+" "a1b22c333" 2 | toJson }}
c: {{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }} {{ regexReplaceAllLiteral "a(x*)b" "-ab-" "${1}" }}
d: {{ regexSplit "z+" "pizza" -1 | toJson }} {{ regexQuoteMeta "1.2+3" }}
""", block=True)
case("sprig-tostring-atoi", "a: {{ toString 1.5 }} {{ toString true }} {{ atoi \"42\" | add 1 }} {{ toString (list 1 2) }}\n", block=True)

# ---------------------------------------------------------------- sprig lists
case("sprig-list-basic", """a: {{ list 1 2 3 | toJson }} {{ tuple "a" | toJson }}
b: {{ append (list 1) 2 | toJson }} {{ prepend (list 1) 0 | toJson }}
c: {{ first (list 1 2) }} {{ last (list 1 2) }} {{ rest (list 1 2 3) | toJson }} {{ initial (list 1 2 3) | toJson }}
d: {{ reverse (list 1 2 3) | toJson }} {{ uniq (list 1 1 2 1) | toJson }} {{ without (list 1 2 3 2) 2 | toJson }}
e: {{ has 2 (list 1 2) }} {{ has "x" (list 1 2) }} {{ compact (list 0 1 "" "a" nil false) | toJson }}
""", block=True)
case("sprig-list-slice-concat", """a: {{ slice (list 1 2 3 4) 1 3 | toJson }} {{ slice (list 1 2 3) 1 | toJson }} {{ slice (list 1 2) | toJson }}
b: {{ concat (list 1) (list 2 3) (list) | toJson }}
c: {{ chunk 2 (list 1 2 3 4 5) | toJson }}
d: {{ until 3 | toJson }} {{ untilStep 0 10 3 | toJson }} {{ untilStep 5 0 -2 | toJson }}
e: "{{ seq 3 }}|{{ seq 2 5 }}|{{ seq 5 2 }}|{{ seq 0 2 10 }}|{{ seq 0 }}"
""", block=True)
case("sprig-list-empty-edges", "a: {{ first (list) }} {{ last (list) | toJson }} {{ rest (list) | toJson }}\nb: {{ has 1 .Values.missing }}\n", block=True)
case("sprig-list-values", "a: {{ .Values.l | first }} {{ .Values.l | last }} {{ .Values.l | reverse | toJson }}\n", "l: [x, y, z]\n", block=True)

# ---------------------------------------------------------------- sprig dicts
case("sprig-dict-basic", """{{- $d := dict "a" 1 "b" "two" "c" }}
a: {{ toJson $d }}
b: {{ get $d "a" }} {{ get $d "nope" | quote }} {{ hasKey $d "b" }} {{ hasKey $d "z" }}
{{- $_ := set $d "d" 4 }}
{{- $_ := unset $d "a" }}
c: {{ toJson $d }}
d: {{ keys $d | sortAlpha | toJson }} {{ values $d | len }}
e: {{ pick $d "b" "d" "zz" | toJson }} {{ omit $d "b" | toJson }}
f: {{ pluck "x" (dict "x" 1) (dict "y" 2) (dict "x" 3) | toJson }}
""", block=True)
case("sprig-merge", """{{- $dst := dict "a" 1 "n" (dict "x" 1) "e" "" }}
{{- $src := dict "a" 2 "b" 3 "n" (dict "x" 2 "y" 2) "e" "filled" }}
a: {{ merge $dst $src | toJson }}
{{- $dst2 := dict "a" 1 "n" (dict "x" 1) "z" 0 }}
b: {{ mergeOverwrite $dst2 (dict "a" 2 "n" (dict "y" 2) "z" 5) | toJson }}
{{- $d3 := dict "k" "v" }}{{ $_ := merge $d3 (dict "k" "other" "m" 1) }}
c: {{ toJson $d3 }}
""", block=True)
case("sprig-merge-values-mutation", """{{- $_ := set .Values "added" "yes" }}
{{- $m := merge (dict) .Values.base }}
{{- $_ := set $m "changed" true }}
a: {{ .Values.added }} {{ hasKey .Values.base "changed" }}
{{- $o := mergeOverwrite (deepCopy .Values.base) (dict "k" "new") }}
b: {{ .Values.base.k }} {{ $o.k }}
""", "base: {k: old}\n")
case("sprig-deepcopy-dig", """{{- $d := dict "a" (dict "b" (dict "c" 1)) }}
{{- $c := deepCopy $d }}{{ $_ := set $c.a "b" "changed" }}
a: {{ toJson $d }} {{ toJson $c }}
b: {{ dig "a" "b" "c" "def" $d }} {{ dig "a" "x" "c" "def" $d }}
c: {{ dig "image" "tag" "latest" .Values.sub }}
""", "sub: {image: {tag: v1}}\n", block=True)

# ---------------------------------------------------------------- sprig math
case("sprig-math", """a: {{ add 1 2 3 }} {{ add1 5 }} {{ sub 5 7 }} {{ mul 2 2.9 }} {{ div 9 4 }} {{ mod -7 3 }}
b: {{ max 1 5 3 }} {{ min 4 2 8 }} {{ biggest 2 9 }} {{ maxf 1.5 2.5 }} {{ minf 1.5 0.5 }}
c: {{ floor 1.7 }} {{ ceil 1.2 }} {{ round 3.14159 2 }} {{ round 2.5 0 }}
d: {{ addf 1.1 2.2 }} {{ subf 5.5 1.2 }} {{ mulf 1.5 3 }} {{ divf 10 4 }} {{ add1f 1.5 }}
e: {{ int "42" }} {{ int64 "7" }} {{ float64 "1.5" }} {{ int 3.9 }} {{ int "abc" }} {{ int64 true }}
f: {{ toDecimal "0777" }} {{ atoi "x" }}
""", block=True)
case("sprig-math-strings", "a: {{ add \"3\" 4 }} {{ mul \"2\" \"5\" }} {{ add .Values.a .Values.b }}\n", "a: 1.9\nb: \"2\"\n", block=True)

# ---------------------------------------------------------------- defaults & reflection
case("sprig-default-empty", """a: {{ .Values.missing | default "dflt" }} {{ .Values.zero | default 5 }} {{ .Values.s | default "x" }}
b: {{ empty 0 }} {{ empty "" }} {{ empty (list) }} {{ empty (dict) }} {{ empty false }} {{ empty .Values.missing }} {{ empty "a" }}
c: {{ coalesce 0 "" .Values.missing "first" "second" }} {{ coalesce 0 "" | toJson }}
d: {{ ternary "yes" "no" true }} {{ ternary "yes" "no" (eq 1 2) }}
e: {{ all 1 "a" true }} {{ all 1 "" }} {{ any 0 "" "x" }} {{ any 0 }}
""", "zero: 0\ns: set\n", block=True)
case("sprig-type-reflection", """a: {{ typeOf 1 }} {{ typeOf "s" }} {{ typeOf (list) }} {{ typeOf (dict) }} {{ typeOf .Values.f }} {{ typeOf nil }} {{ typeOf true }}
b: {{ kindOf 1 }} {{ kindOf (list) }} {{ kindOf (dict) }} {{ kindOf .Values.f }} {{ kindOf "x" }}
c: {{ typeIs "string" "x" }} {{ kindIs "map" .Values }} {{ kindIs "slice" .Values.l }} {{ typeIsLike "float64" 1.5 }}
d: {{ deepEqual (list 1 2) (list 1 2) }} {{ deepEqual (dict "a" 1) (dict "a" 2) }}
""", "f: 1.5\nl: [1]\n", block=True)

# ---------------------------------------------------------------- encoding
case("sprig-encoding", """a: {{ b64enc "hello" }} {{ b64dec "aGVsbG8=" }} {{ b32enc "hello" }} {{ b32dec "NBSWY3DP" }}
b: {{ sha1sum "x" }}
c: {{ sha256sum "x" }}
d: {{ sha512sum "x" | trunc 16 }} {{ adler32sum "hello" }}
e: {{ b64dec "not base64!" }}
""", block=True)
case("helm-tojson-family", """a: {{ toJson .Values }}
b: {{ toRawJson .Values.html }}
c: |
{{ toPrettyJson .Values.nested | indent 2 }}
d: {{ toJson "<&>" }} {{ toJson 1.5 }} {{ toJson 1e21 }} {{ toJson 0.0000001 }}
""", "html: \"<b>&</b>\"\nnested: {z: [1, {a: null}], a: true}\nnum: 100000000\n", block=True)
case("helm-fromjson", """{{- $o := fromJson "{\\"a\\": 1, \\"b\\": [true, null, \\"x\\"]}" }}
a: {{ $o.a }} {{ typeOf $o.a }} {{ $o.b }}
b: {{ fromJson "not json" }}
c: {{ fromJsonArray "[1, \\"two\\"]" | toJson }}
d: {{ fromJson "[1]" }}
""", block=True)
case("helm-toyaml-shapes", """a: |
{{ toYaml .Values | indent 2 }}
""", """str: plain
quoted: "yes"
num: 42
float: 1.5
big: 1e6
bool: true
nul: null
empty: ""
list: [1, two, 3.0]
nested: {b: {c: [x]}, a: []}
emptymap: {}
multi: "line1\\nline2\\n"
special: "a: b"
star: "*x"
long: "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr ssss"
date: "2024-01-02"
tab: "a\\tb"
lead: " x"
octal: "0777"
colon: "1:20"
keys: {"10": a, "9": b, "a10": c, "a9": d, "B": e, "_": f}
""")
case("helm-toyamlpretty-shapes", "a: |\n{{ toYamlPretty .Values | indent 2 }}\n", open(os.path.join(HERE, "helm-toyaml-shapes/mychart/values.yaml")).read() if os.path.exists(os.path.join(HERE, "helm-toyaml-shapes/mychart/values.yaml")) else "a: 1\n")
case("helm-toyaml-list-root", "a: |\n{{ toYaml .Values.l | indent 2 }}\nb: {{ toYaml \"scalar\" }}\nc: {{ toYaml 3 }}\nd: {{ toYaml (list) }} {{ toYaml (dict) }}\n", "l: [{a: 1, b: [x, y]}, [1, 2], \"s\"]\n")
case("helm-toyaml-literal-blocks", "a: |\n{{ toYaml .Values | indent 2 }}\n", "one: \"x\\n\"\ntwo: \"x\\n\\n\"\nthree: \"  indented\\nline\"\nfour: \"trailing space \\nx\"\nfive: \"x\\ny\"\n")
case("helm-fromyaml", """{{- $y := fromYaml "a: 1\\nb: [x, y]\\nc: {d: true}" }}
a: {{ $y.a }} {{ typeOf $y.a }} {{ $y.b }} {{ $y.c.d }}
b: {{ fromYaml "a: [1" }}
c: {{ fromYamlArray "- 1\\n- b" | toJson }}
d: {{ fromYamlArray "a: 1" | toJson }}
e: {{ fromYaml "- 1" | toJson }}
""", block=True)
case("helm-totoml", "a: |\n{{ toToml .Values | indent 2 }}\n", "name: x\nnum: 3\nlist: [1, 2]\ntable: {k: v, inner: {deep: true}}\n")
case("helm-toyamlpretty", "a: |\n{{ toYamlPretty .Values | indent 2 }}\n", "m: {a: [1, 2], b: {c: \"x y\"}}\nl: [a]\n")
case("sprig-url", """{{- $u := urlParse "https://user:pw@example.com:8080/p/a?q=1#frag" }}
a: {{ $u.scheme }} {{ $u.host }} {{ $u.hostname }} {{ $u.path }} {{ $u.query }} {{ $u.fragment }} {{ $u.userinfo }}
b: {{ urlJoin (dict "scheme" "http" "host" "h:1" "path" "/x" "query" "a=b") }}
""", block=True)

# ---------------------------------------------------------------- semver
case("sprig-semver", """a: {{ semverCompare ">=1.19-0" "v1.28.3-eks-1234" }} {{ semverCompare ">=1.19" "v1.28.3-eks-1234" }} {{ semverCompare "^1.2.0" "1.9.9" }}
b: {{ semverCompare "~1.2.3" "1.3.0" }} {{ semverCompare "1.2.x" "1.2.9" }} {{ semverCompare ">=1.20 <1.25 || >=2.0" "1.22.1" }}
c: {{ (semver "1.2.3-beta.1+b5").Major }} {{ (semver "v2.3.4").Minor }} {{ (semver "1.2.3-beta.1").Prerelease }}
d: {{ semverCompare ">=1.21-0" .Capabilities.KubeVersion.GitVersion }} {{ semverCompare "<1.16" .Capabilities.KubeVersion.Version }}
""", block=True)
case("sprig-semver-kube-version-flag", "a: {{ .Capabilities.KubeVersion }} {{ semverCompare \">=1.26\" .Capabilities.KubeVersion.Version }}\n", args="--kube-version 1.25.3")

# ---------------------------------------------------------------- dates (deterministic inputs)
case("sprig-dates", """a: {{ date "2006-01-02" 1700000000 }} {{ dateInZone "2006-01-02T15:04:05Z07:00" 1700000000 "UTC" }}
b: {{ toDate "2006-01-02" "2023-03-04" | date "Jan 2, 2006" }} {{ (toDate "2006-01-02 15:04" "2023-03-04 05:06").Unix }}
c: {{ duration 95 }} {{ duration "3600" }} {{ durationRound "2h30m" }} {{ durationRound "400h" }}
d: {{ htmlDate 0 }} {{ toDate "2006-01-02" "2023-03-04" | unixEpoch }}
e: {{ dateModify "+1h" (toDate "2006-01-02" "2023-03-04") | date "2006-01-02 15:04" }}
f: {{ now | date "2006" | len }} {{ now | typeOf }}
""", block=True)

# ---------------------------------------------------------------- random and generated (shape)
case("sprig-random-shapes", """a: {{ randAlphaNum 10 | len }} {{ randAlpha 7 | regexMatch "^[a-zA-Z]{7}$" }} {{ randNumeric 4 | regexMatch "^[0-9]{4}$" }} {{ randAscii 3 | len }}
b: {{ uuidv4 | regexMatch "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$" }}
c: {{ randBytes 12 | len }} {{ randInt 5 6 }} {{ shuffle "aaa" }}
""", block=True)

case("sprig-crypto-ecdsa", """{{- $k := genPrivateKey "ecdsa" }}
{{- $ca := genCAWithKey "my-ca" 365 $k }}
{{- $srv := genSignedCertWithKey "server" (list "10.0.0.1") (list "svc.local") 30 $ca (genPrivateKey "ecdsa") }}
{{- $self := genSelfSignedCertWithKey "self" nil (list "a.example") 10 (genPrivateKey "ed25519") }}
a: {{ $ca.Cert | hasPrefix "-----BEGIN CERTIFICATE-----" }} {{ $ca.Key | eq $k }} {{ typeOf $ca }} {{ $k | hasPrefix "-----BEGIN EC PRIVATE KEY-----" }}
b: {{ $srv.Cert | hasPrefix "-----BEGIN CERTIFICATE-----" }} {{ $srv.Key | hasPrefix "-----BEGIN EC PRIVATE KEY-----" }} {{ ne $srv.Cert $ca.Cert }}
c: {{ $self.Cert | hasPrefix "-----BEGIN CERTIFICATE-----" }} {{ $self.Key | hasPrefix "-----BEGIN PRIVATE KEY-----" }}
d: {{ genPrivateKey "nope" }}
f: {{ (buildCustomCert ($ca.Cert | b64enc) ($ca.Key | b64enc)).Cert | eq $ca.Cert }}
""", block=True)
case("slow-sprig-crypto-rsa", """{{- $ca := genCA "my-ca" 365 }}
{{- $srv := genSignedCert "server" (list "10.0.0.1") (list "svc.local") 30 $ca }}
a: {{ $ca.Cert | hasPrefix "-----BEGIN CERTIFICATE-----" }} {{ $ca.Key | hasPrefix "-----BEGIN RSA PRIVATE KEY-----" }}
b: {{ $srv.Cert | hasPrefix "-----BEGIN CERTIFICATE-----" }} {{ $srv.Key | hasPrefix "-----BEGIN RSA PRIVATE KEY-----" }}
""", block=True)
case("sprig-passwords", """a: {{ htpasswd "user" "pass" | regexMatch "^user:[$]2a[$]10[$][./A-Za-z0-9]{53}$" }} {{ htpasswd "a:b" "x" }}
b: {{ encryptAES "secretkey" "plaintext" | decryptAES "secretkey" }} {{ encryptAES "k" "" | quote }} {{ encryptAES "k" "x" | len }}
""", block=True)
case("slow-sprig-derive-password", """c: {{ derivePassword 1 "long" "password" "user" "example.com" }} {{ derivePassword 2 "pin" "p" "u" "s" }} {{ derivePassword 1 "nope" "p" "u" "s" }}
""", block=True)

# ---------------------------------------------------------------- Helm objects
case("helm-release-object", "a: {{ .Release.Name }} {{ .Release.Namespace }} {{ .Release.Revision }} {{ .Release.IsInstall }} {{ .Release.IsUpgrade }} {{ .Release.Service }}\n", args="--namespace prod", release="my-rel", block=True)
case("helm-release-upgrade", "a: {{ .Release.IsInstall }} {{ .Release.IsUpgrade }}\n", args="--is-upgrade")
case("helm-chart-object", "a: {{ .Chart.Name }} {{ .Chart.Version }} {{ .Chart.AppVersion }} {{ .Chart.Description }} {{ .Chart.IsRoot }} {{ .Chart.Type }}\nb: {{ .Chart.Annotations.team }} {{ .Chart.Keywords | toJson }} {{ (index .Chart.Maintainers 0).Name }} {{ .Chart.Home }}\n",
     chart_yaml="apiVersion: v2\nname: mychart\nversion: 1.2.3\nappVersion: 1.10\ndescription: A chart\nhome: https://example.com\nkeywords: [a, b]\nannotations: {team: core}\nmaintainers: [{name: me, email: me@x.io}]\n", block=True)
case("helm-template-object", "a: {{ .Template.Name }} {{ .Template.BasePath }}\n{{- define \"n\" }}{{ .Template.Name }}{{ end }}\nb: {{ include \"n\" . }}\n")
case("helm-capabilities", """a: {{ .Capabilities.KubeVersion.Version }} {{ .Capabilities.KubeVersion.Major }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.KubeVersion }}
b: {{ .Capabilities.APIVersions.Has "apps/v1" }} {{ .Capabilities.APIVersions.Has "policy/v1beta1" }} {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }} {{ .Capabilities.APIVersions.Has "x.io/v1/Kind" }}
c: {{ .Capabilities.HelmVersion.Version }}
""", args="--api-versions monitoring.coreos.com/v1 --api-versions x.io/v1/Kind --kube-version v1.29.1", block=True)
case("helm-files", """a: {{ .Files.Get "files/a.txt" | quote }}
b: {{ .Files.Get "nope.txt" | quote }}
c: {{ .Files.Lines "files/lines.txt" | toJson }}
d: |
{{ (.Files.Glob "files/*.txt").AsConfig | indent 2 }}
e: |
{{ (.Files.Glob "files/sub/*").AsSecrets | indent 2 }}
f: {{ range $path, $_ := .Files.Glob "files/**" }}{{ $path }} {{ end }}
g: {{ .Files.GetBytes "files/a.txt" | len }}
h: {{ len (.Files.Glob "*.md") }}
""", files={"files/a.txt": "hello a\n", "files/lines.txt": "l1\nl2\nl3\n", "files/sub/s.bin": "secret", "README.md": "# readme\n"})
case("helm-include-tpl", """{{- define "lbl" }}app: {{ .Chart.Name }}{{ end -}}
a:
  {{- include "lbl" . | nindent 2 }}
b: {{ tpl .Values.tmpl . }}
c: {{ tpl "{{ .Values.name | upper }}" . }}
d: {{ tpl "{{ define \\"inner\\" }}in{{ end }}{{ include \\"inner\\" . }}" . }}
""", "name: nm\ntmpl: \"{{ .Release.Name }}-{{ .Values.name }}\"\n")
case("helm-tpl-missing-and-scope", "a: {{ tpl \"{{ .Values.missing }}x\" . }}\nb: {{ tpl \"{{ .Template.Name }}\" . }}\n")
case("helm-required-ok", "a: {{ required \"need a\" .Values.a }}\n", "a: present\n")
case("helm-lookup-empty", "a: {{ lookup \"v1\" \"Secret\" \"ns\" \"name\" | toJson }} {{ (lookup \"v1\" \"Secret\" \"ns\" \"name\").data }}\n", block=True)

# ---------------------------------------------------------------- errors
case("err-nil-pointer", "a: 1\nb: {{ .Values.a.b }}\n")
case("err-nil-pointer-in-include", "{{- define \"x\" }}{{ .a.b }}{{ end -}}\nb: {{ include \"x\" .Values }}\n")
case("err-required", "x: 1\ny: {{ required \"value y is required!\" .Values.y }}\n")
case("err-required-empty-string", "y: {{ .Values.y | required \"y must not be empty\" }}\n", "y: \"\"\n")
case("err-fail", "{{ if not .Values.ok }}{{ fail \"ok must be set\" }}{{ end }}\n")
case("err-parse-function", "a: {{ nosuchfunc 1 }}\n")
case("err-parse-unclosed", "a: {{ if .Values.x }}\n")
case("err-parse-unexpected-end", "a: {{ end }}\n")
case("err-eq-types", "a: {{ eq .Values.n 1 }}\n", "n: 1\n")
case("err-wrong-arg-type", "a: {{ .Values.n | indent 2 }}\n", "n: 1\n")
case("err-missing-arg-upper", "a: {{ .Values.missing | upper }}\n")
case("err-index-nil", "a: {{ index .Values \"a\" \"b\" }}\n")
case("err-include-missing", "a: {{ include \"nope\" . }}\n")
case("err-template-missing", "a: {{ template \"nope\" . }}\n")
case("err-field-on-scalar", "a: {{ .Values.x.y }}\n", args="--set x=1")
case("err-bad-yaml-output", "a: b: c\n")
case("err-yaml-annotation-number", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    n: 1\n")
case("err-tpl-inner", "a: {{ tpl \"{{ .Values.a.b }}\" . }}\n")
case("err-required-in-include", "{{- define \"r\" }}{{ required \"inner required\" .missing }}{{ end -}}\na: {{ include \"r\" . }}\n")
case("err-undefined-variable", "a: {{ $nope }}\n")
case("err-len-nil", "a: {{ len .Values.missing }}\n")
case("err-dig-on-values", "a: {{ dig \"a\" \"b\" .Values }}\n")
case("err-include-loop", "{{- define \"x\" }}{{ include \"x\" . }}{{ end -}}\na: {{ include \"x\" . }}\n")
case("err-template-recursion", "{{- define \"r\" }}{{ template \"r\" . }}{{ end -}}\na: {{ template \"r\" . }}\n")
case("err-lt-types", "a: {{ lt .Values.n 2 }}\n", "n: 1\n")
case("err-index-out-of-range", "a: {{ index .Values.l 5 }}\n", "l: [1, 2]\n")
case("err-slice-string", "a: {{ slice \"abc\" 1 }}\n")
case("err-call-non-function", "a: {{ call .Values.x }}\n", "x: 1\n")
case("err-capabilities-unknown-field", "a: {{ .Capabilities.Nope }}\n")
case("err-range-string", "a: {{ range \"abc\" }}{{ . }}{{ end }}\n")
case("err-field-on-list", "a: {{ .Values.l.x }}\n", "l: [1]\n")
case("err-haskey-on-string", "a: {{ hasKey \"x\" \"y\" }}\n")
case("err-haskey-missing-map", "a: {{ hasKey .Values.missing \"y\" }}\n")
case("err-todate-bad", "a: {{ toDate \"2006-01-02\" \"2023/01/02\" }}\n")
case("err-merge-non-map", "a: {{ merge (dict) \"x\" }}\n")
case("err-nil-command", "a: {{ nil }}\n")
case("err-bad-number", "a: {{ 1x }}\n")
case("err-unclosed-action", "a: {{ .Values.x\n")
case("err-unexpected-else", "a: {{ else }}\n")
case("err-define-in-action", "a: {{ if true }}{{ define \"x\" }}{{ end }}{{ end }}\n")
case("err-fromjson-must", "a: {{ mustFromJson \"{bad\" }}\n")
case("err-tpl-parse", "a: {{ tpl \"{{ nope }}\" . }}\n")
case("err-printf-args", "a: {{ printf 1 }}\n")
case("err-toyaml-must-inf", "a: {{ mustToYaml (float64 \"+Inf\") }}\n")
case("edge-toyaml-inf-swallowed", "a: {{ toYaml (float64 \"+Inf\") | quote }} {{ toJson (float64 \"NaN\") | quote }}\n")
case("err-range-nil-element-field", "a: {{ range .Values.l }}{{ .name }}{{ end }}\n", "l: [{name: x}, null]\n")
case("edge-range-nil-element-print", "a: \"{{ range .Values.l }}[{{ . }}]{{ end }}\"\n", "l: [x, null, 1]\n")
case("err-div-zero", "a: {{ div 1 0 }}\n")
case("err-first-on-string", "a: {{ first \"abc\" }}\n")
case("err-range-float", "a: {{ range 1.5 }}{{ end }}\n")
case("err-set-no-value", "a: 1\n", args="--set novalue")
case("err-invalid-release-name", "a: 1\n", release="Bad_Name")
case("err-chart-missing-chart-yaml", None, raw_cmd="helm template rel nochart", files={"nochart/values.yaml": "a: 1\n", "nochart/templates/x.yaml": "a: 1\n"}, chart="mychart")
case("err-chart-missing-version", "a: 1\n", chart_yaml="apiVersion: v2\nname: mychart\n")
case("err-chart-bad-version", "a: 1\n", chart_yaml="apiVersion: v2\nname: mychart\nversion: not-semver\n")
case("err-values-bad-yaml", "a: 1\n", "a: [1\n")
case("err-values-file-bad", "a: 1\n", args="-f bad.yaml", files={"bad.yaml": "x: : y\n"})
case("err-missing-dependency", "a: 1\n", chart_yaml="apiVersion: v2\nname: mychart\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 0.1.0\n")
case("err-library-not-installable", "a: 1\n", chart_yaml="apiVersion: v2\nname: mychart\nversion: 0.1.0\ntype: library\n")
case("err-kube-version-incompatible", "a: 1\n", chart_yaml="apiVersion: v2\nname: mychart\nversion: 0.1.0\nkubeVersion: \">=1.40.0\"\n")
case("err-wrong-num-args", "a: {{ upper \"a\" \"b\" }}\n")
case("err-nested-required-tpl", "a: {{ tpl \"{{ required \\\"tpl req\\\" .Values.x }}\" . }}\n")

# ---------------------------------------------------------------- values coalescing & --set
case("values-null-deletes", "a: |\n{{ toYaml .Values | indent 2 }}\n", "keep: 1\ndrop: 2\nnested: {a: 1, b: 2}\n", args="-f over.yaml", files={"over.yaml": "drop: null\nnested: {b: null, c: 3}\nnewnull: null\n"})
case("values-f-files-merge-in-order", "a: |\n{{ toYaml .Values | indent 2 }}\n", "base: 0\nm: {x: 0, y: 0}\nl: [1, 2]\n", args="-f one.yaml -f two.yaml", files={"one.yaml": "m: {x: 1}\nl: [9]\nfrom1: a\n", "two.yaml": "m: {y: 2}\nfrom2: b\n"})
case("values-set-syntax", "a: |\n{{ toYaml .Values | indent 2 }}\n", args="--set a.b.c=1 --set list[0]=x,list[2]=z --set arr={a,b,c} --set esc=a\\,b --set dot\\.key=v --set objs[0].name=n1,objs[1].name=n2 --set empty= --set t=true,n=null,s=str")
case("values-set-string-and-literal", "a: |\n{{ toYaml .Values | indent 2 }}\n", args="--set-string num=123,b=true --set-literal lit=a,b=c")
case("values-set-json", "a: |\n{{ toYaml .Values | indent 2 }}\n", args="--set-json 'j={\"x\":[1,2],\"y\":{\"z\":true}}' --set-json k=5")
case("values-set-file", "a: |\n{{ toYaml .Values | indent 2 }}\n", args="--set-file content=data.txt", files={"data.txt": "file\ncontents\n"})
case("values-set-overrides-file", "a: {{ .Values.x }} {{ .Values.y }}\n", "x: chart\ny: chart\n", args="--set x=set -f f.yaml", files={"f.yaml": "x: file\ny: file\n"})
case("values-set-nested-list-index", "a: |\n{{ toYaml .Values | indent 2 }}\n", args="--set a[0][1]=x --set b[1].c[0]=y")
case("values-set-typed-edge", "a: |\n{{ toYaml .Values | indent 2 }}\n", args="--set a=0,b=-5,c=+3,d=TRUE,e=NULL,f=1e3,g=0x10,h=00")
case("values-multidoc-file", "a: |\n{{ toYaml .Values | indent 2 }}\n", args="-f multi.yaml", files={"multi.yaml": "a: 1\nb: 1\n---\nb: 2\nc: 3\n"})
case("values-empty-file", "a: {{ .Values.x }}\n", "x: 1\n", args="-f empty.yaml", files={"empty.yaml": "# only a comment\n"})
case("values-yaml-anchors-merge", "a: |\n{{ toYaml .Values | indent 2 }}\n", "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\nref: *b\n")
case("values-user-map-over-scalar", "a: |\n{{ toYaml .Values | indent 2 }}\n", "s: scalar\nm: {a: 1}\n", args="-f f.yaml", files={"f.yaml": "s: {now: map}\nm: scalar\n"})

# ---------------------------------------------------------------- subcharts, dependencies, globals
SUB_CHART = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
SUB_TPL = "{{ .Chart.Name }}: |\n{{ toYaml .Values | indent 2 }}\n"


def subchart_case(name, parent_chart_yaml, parent_values, subs, args="", parent_tpl=None, extra=None):
    files = {}
    for sub_name, (sv, sub_chart_yaml, sub_tpl) in subs.items():
        files[f"mychart/charts/{sub_name}/Chart.yaml"] = sub_chart_yaml or SUB_CHART.format(name=sub_name)
        if sv is not None:
            files[f"mychart/charts/{sub_name}/values.yaml"] = sv
        files[f"mychart/charts/{sub_name}/templates/cm.yaml"] = sub_tpl or SUB_TPL
    files.update(extra or {})
    case(name, parent_tpl or SUB_TPL, parent_values, args=args, files=files, chart_yaml=parent_chart_yaml)


DEPS = "apiVersion: v2\nname: mychart\nversion: 0.1.0\ndependencies:\n"
subchart_case("deps-subchart-values-scope", None, "top: 1\nsub:\n  fromparent: p\n  over: parent\nglobal:\n  g: 1\n", {"sub": ("over: child\nown: c\n", None, None)})
subchart_case("deps-globals-propagate", None, "global:\n  a: parent\n  m: {x: 1}\nsub:\n  global:\n    a: child\n    b: child\n", {"sub": ("global:\n  m: {y: 2}\n  c: chart\n", None, None)})
subchart_case("deps-condition-false", DEPS + "- name: sub\n  version: 0.1.0\n  condition: sub.enabled\n- name: other\n  version: 0.1.0\n  condition: other.enabled,global.other\n", "sub:\n  enabled: false\nother:\n  enabled: true\n", {"sub": (None, None, None), "other": (None, None, None)})
subchart_case("deps-condition-set-flag", DEPS + "- name: sub\n  version: 0.1.0\n  condition: sub.enabled\n", "sub:\n  enabled: true\n", {"sub": ("enabled: true\n", None, None)}, args="--set sub.enabled=false")
subchart_case("deps-tags", DEPS + "- name: a\n  version: 0.1.0\n  tags: [front]\n- name: b\n  version: 0.1.0\n  tags: [back]\n- name: c\n  version: 0.1.0\n  tags: [front, back]\n", "tags:\n  front: false\n  back: true\n", {"a": (None, None, None), "b": (None, None, None), "c": (None, None, None)})
subchart_case("deps-alias", DEPS + "- name: sub\n  version: 0.1.0\n  alias: first\n- name: sub\n  version: 0.1.0\n  alias: second\n", "first:\n  x: 1\nsecond:\n  x: 2\n", {"sub": ("x: 0\n", None, None)})
subchart_case("deps-import-values-exports", DEPS + "- name: sub\n  version: 0.1.0\n  import-values:\n  - data\n", "own: 1\n", {"sub": ("exports:\n  data:\n    imported: yes-it-is\n    over: child\n", None, None)}, parent_tpl="a: |\n{{ toYaml .Values | indent 2 }}\n")
subchart_case("deps-import-values-child-parent", DEPS + "- name: sub\n  version: 0.1.0\n  import-values:\n  - child: info\n    parent: fromchild\n", "fromchild:\n  keep: parent\n", {"sub": ("info:\n  keep: child\n  add: child\n", None, None)}, parent_tpl="a: |\n{{ toYaml .Values | indent 2 }}\n")
subchart_case("deps-nested-subcharts", None, "mid:\n  leaf:\n    v: fromtop\n", {"mid": ("leaf:\n  w: frommid\n", None, None)},
              extra={"mychart/charts/mid/charts/leaf/Chart.yaml": SUB_CHART.format(name="leaf"), "mychart/charts/mid/charts/leaf/values.yaml": "v: leaf\nw: leaf\nz: leaf\n", "mychart/charts/mid/charts/leaf/templates/cm.yaml": SUB_TPL})
subchart_case("deps-parent-define-wins", None, "", {"sub": (None, None, "sub: {{ include \"shared\" . }}\n")}, parent_tpl="top: {{ include \"shared\" . }}\n",
              extra={"mychart/templates/_h.tpl": "{{ define \"shared\" }}parent{{ end }}", "mychart/charts/sub/templates/_h.tpl": "{{ define \"shared\" }}child{{ end }}"})
subchart_case("deps-library-chart", DEPS + "- name: lib\n  version: 0.1.0\n", "", {"lib": (None, "apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n", "should: not render\n")}, parent_tpl="a: {{ include \"lib.hello\" . }}\n",
              extra={"mychart/charts/lib/templates/_lib.tpl": "{{ define \"lib.hello\" }}hello from {{ .Chart.Name }}{{ end }}"})
subchart_case("deps-subchart-files-and-chart", None, "", {"sub": (None, None, "a: {{ .Files.Get \"f.txt\" }} {{ .Chart.Name }} {{ .Chart.IsRoot }} {{ .Template.BasePath }}\n")}, extra={"mychart/charts/sub/f.txt": "subfile"})
subchart_case("deps-subcharts-object", None, "sub: {k: v}\n", {"sub": (None, None, None)}, parent_tpl="a: {{ .Subcharts.sub.Values.k }} {{ .Subcharts.sub.Chart.Name }}\n")
subchart_case("deps-v1-requirements", "apiVersion: v1\nname: mychart\nversion: 0.1.0\n", "sub:\n  enabled: false\n", {"sub": (None, None, None)},
              extra={"mychart/requirements.yaml": "dependencies:\n- name: sub\n  version: 0.1.0\n  condition: sub.enabled\n"})
subchart_case("deps-unlisted-subchart-always", DEPS + "- name: listed\n  version: 0.1.0\n  condition: listed.on\n", "", {"listed": (None, None, None), "extra": (None, None, None)})
subchart_case("deps-subchart-null-override", None, "sub:\n  remove: null\n", {"sub": ("remove: me\nkeep: me\n", None, None)})
subchart_case("deps-global-set-flag", None, "", {"sub": ("global: {}\n", None, None)}, args="--set global.env=prod")


def tgz(files, root):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in sorted(files.items()):
            b = data.encode()
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size = len(b)
            info.mtime = 0
            t.addfile(info, io.BytesIO(b))
    return buf.getvalue()


CASES_BIN = {}
CASES_BIN["deps-subchart-tgz"] = {"mychart/charts/packed-0.1.0.tgz": tgz({"Chart.yaml": SUB_CHART.format(name="packed"), "values.yaml": "p: 1\n", "templates/cm.yaml": SUB_TPL}, "packed")}
case("deps-subchart-tgz", SUB_TPL, "packed: {q: 2}\n")
CASES_BIN["chart-packaged-tgz"] = {"mychart-0.1.0.tgz": tgz({"Chart.yaml": CHART_V2.format(name="mychart"), "values.yaml": "v: packaged\n", "templates/a.yaml": "a: {{ .Values.v }}\n", "templates/_h.tpl": "", "files/x.txt": "x"}, "mychart")}
case("chart-packaged-tgz", None, raw_cmd="helm template rel mychart-0.1.0.tgz --set extra=1", files={"mychart/.keep": ""})
CASES_BIN["err-tgz-path-traversal"] = {"evil.tgz": tgz({"Chart.yaml": CHART_V2.format(name="evil"), "../escape.txt": "x"}, "evil")}
case("err-tgz-path-traversal", None, raw_cmd="helm template rel evil.tgz", files={"mychart/.keep": ""})

# ---------------------------------------------------------------- values.schema.json
SCHEMA = '{\n  "$schema": "http://json-schema.org/draft-07/schema#",\n  "type": "object",\n  "required": ["name"],\n  "properties": {\n    "name": {"type": "string", "minLength": 3},\n    "port": {"type": "integer", "minimum": 1, "maximum": 65535},\n    "mode": {"enum": ["a", "b"]},\n    "tags": {"type": "array", "items": {"type": "string"}},\n    "nested": {"type": "object", "properties": {"x": {"type": "boolean"}}, "additionalProperties": false},\n    "ref": {"$ref": "#/definitions/flag"},\n    "pat": {"type": "string", "pattern": "^[a-z]+$"},\n    "one": {"oneOf": [{"type": "string"}, {"type": "integer"}]}\n  },\n  "definitions": {"flag": {"type": "boolean"}}\n}\n'
case("schema-ok", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=abc,port=80,mode=a,tags[0]=x,nested.x=true,ref=true,pat=abc,one=1', files={"values.schema.json": SCHEMA})
case("schema-min-length", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=ab', files={"values.schema.json": SCHEMA})
case("schema-minimum", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=abc,port=0', files={"values.schema.json": SCHEMA})
case("schema-maximum", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=abc,port=70000', files={"values.schema.json": SCHEMA})
case("schema-type-integer", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=abc --set-string port=80', files={"values.schema.json": SCHEMA})
case("schema-enum", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=abc,mode=c', files={"values.schema.json": SCHEMA})
case("schema-items", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=abc,tags[0]=1', files={"values.schema.json": SCHEMA})
case("schema-items-two", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=abc,tags[0]=1,tags[1]=ok,tags[2]=2', files={"values.schema.json": SCHEMA})
case("schema-additional", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=abc,nested.y=1', files={"values.schema.json": SCHEMA})
case("schema-required-null", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=null', files={"values.schema.json": SCHEMA})
case("schema-ref", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=abc,ref=x', files={"values.schema.json": SCHEMA})
case("schema-pattern", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=abc,pat=ABC', files={"values.schema.json": SCHEMA})
case("schema-oneof", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=abc,one=true', files={"values.schema.json": SCHEMA})
case("schema-float-for-integer", "a: {{ .Values.name }}\n", "name: default-name\n", args='--set name=abc --set-json port=1.5', files={"values.schema.json": SCHEMA})
subchart_case("schema-subchart", None, "sub:\n  level: 11\n", {"sub": ("level: 1\n", None, None)}, extra={"mychart/charts/sub/values.schema.json": '{"type": "object", "properties": {"level": {"type": "number", "exclusiveMaximum": 10}}}'})

# ---------------------------------------------------------------- chart structure & output
case("out-kind-order", """apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
---
apiVersion: v1
kind: Service
metadata: {name: s}
---
apiVersion: example.com/v1
kind: Zeta
metadata: {name: z}
---
apiVersion: v1
kind: Namespace
metadata: {name: n}
---
apiVersion: example.com/v1
kind: Alpha
metadata: {name: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: v}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa}
""")
case("out-files-sorted-by-path", "kind: ConfigMap\nmetadata: {name: t}\n", files={"templates/b.yaml": "kind: ConfigMap\nmetadata: {name: b}\n", "templates/a/z.yaml": "kind: ConfigMap\nmetadata: {name: az}\n", "templates/empty.yaml": "{{- if false }}x: 1{{ end }}\n", "templates/only-sep.yaml": "---\n---\n"})
case("out-document-separators", "---\na: 1\n---\n\n---   \nb: 2\n--- \n# just a comment\n---\nc: 3\n...\n")
case("out-hooks", """apiVersion: batch/v1
kind: Job
metadata:
  name: pre
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-weight": "5"
    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: regular
---
apiVersion: v1
kind: Pod
metadata:
  name: test
  annotations:
    helm.sh/hook: test
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: post
  annotations:
    helm.sh/hook: post-install
    helm.sh/hook-weight: "-1"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: unknown-hook
  annotations:
    helm.sh/hook: not-a-hook
""")
case("out-hooks-skip-tests", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test-success\n---\nkind: ConfigMap\nmetadata: {name: c}\n", args="--skip-tests")
case("out-only-hooks", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: only\n  annotations:\n    helm.sh/hook: post-install\n")
case("out-show-only-hook", "kind: ConfigMap\nmetadata: {name: t}\n", args="--show-only templates/hook.yaml", files={"templates/hook.yaml": "kind: Job\nmetadata:\n  name: h\n  annotations:\n    helm.sh/hook: pre-install\n"})
case("out-hook-weights-kinds", "kind: Job\nmetadata:\n  name: j2\n  annotations:\n    helm.sh/hook: pre-install\n    helm.sh/hook-weight: \"-5\"\n---\nkind: ServiceAccount\nmetadata:\n  name: sa\n  annotations:\n    helm.sh/hook: pre-install\n    helm.sh/hook-weight: \"10\"\n---\nkind: Job\nmetadata:\n  name: j1\n  annotations:\n    helm.sh/hook: pre-install, post-upgrade\n    helm.sh/hook-weight: \"abc\"\n", files={"templates/a-hooks.yaml": "kind: ConfigMap\nmetadata:\n  name: cm-hook\n  annotations:\n    helm.sh/hook: pre-install\n"})
case("out-no-hooks", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: pre-install\n---\nkind: ConfigMap\nmetadata: {name: c}\n", args="--no-hooks")
case("out-notes-not-rendered", "kind: ConfigMap\nmetadata: {name: c}\n", files={"templates/NOTES.txt": "Thanks for installing {{ .Release.Name }}\n"})
case("out-crds-excluded-by-default", "kind: ConfigMap\nmetadata: {name: c}\n", files={"crds/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\n"})
case("out-crds-included", "kind: ConfigMap\nmetadata: {name: c}\n", args="--include-crds", files={"crds/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\n", "crds/notes.txt": "ignored", "charts/sub/Chart.yaml": SUB_CHART.format(name="sub"), "charts/sub/crds/sub-crd.yaml": "kind: CustomResourceDefinition\nmetadata:\n  name: sub.example.com\n"})
case("out-show-only", "kind: ConfigMap\nmetadata: {name: t}\n", args="--show-only templates/other.yaml", files={"templates/other.yaml": "kind: Secret\nmetadata: {name: o}\n"})
case("out-empty-render", "{{- if false }}\nx: 1\n{{- end }}\n")
case("out-partials-not-rendered", "kind: ConfigMap\nmetadata: {name: c}\n", files={"templates/_helpers.tpl": "not: yaml: at: all\n{{ define \"x\" }}{{ end }}", "templates/sub/_nested.yaml": "also: not: yaml\n"})
case("chart-helmignore", "a: {{ len (.Files.Glob \"**\") }} {{ range $p, $_ := .Files.Glob \"**\" }}{{ $p }} {{ end }}\n", files={".helmignore": "# comment\n*.md\nsecret/\n/top.txt\n", "README.md": "x", "docs/guide.md": "x", "secret/key": "x", "top.txt": "x", "keep.txt": "x", "sub/top.txt": "x", "templates/.hidden.yaml": "hidden: {{ fail \"should be ignored\" }}\n"})
case("chart-v1-apiversion", "a: {{ .Chart.APIVersion }} {{ .Chart.Name }}\n", chart_yaml="name: mychart\nversion: 0.1.0\n")
case("chart-appversion-float", "a: {{ .Chart.AppVersion }} {{ .Chart.Version }}\n", chart_yaml="apiVersion: v2\nname: mychart\nversion: 1.0.0\nappVersion: 1.10\n")
case("chart-deprecated", "a: {{ .Chart.Deprecated }}\n", chart_yaml="apiVersion: v2\nname: mychart\nversion: 0.1.0\ndeprecated: true\n")

# ---------------------------------------------------------------- more edge cases
case("edge-with-shadowing", "{{- with .Values.a }}\nx: {{ .b }} {{ $.Values.top }} {{ $.Chart.Name }}\n{{- end }}\n", "top: T\na: {b: B}\n")
case("edge-range-nested", "{{- range $k, $v := .Values.m }}\n{{ $k }}:\n{{- range $v }}\n- {{ . }}\n{{- end }}\n{{- end }}\n", "m: {b: [3, 4], a: [1, 2]}\n")
case("edge-toyaml-nested-lists", "a: |\n{{ toYaml .Values | indent 2 }}\n", "x:\n- - a\n  - b: [1, {c: d}]\n- {}\n- []\n- [[]]\ny: {z: [{a: [1]}]}\n")
case("edge-unicode", "a: {{ .Values.s | quote }} {{ .Values.s | upper }} {{ len .Values.s }} {{ trunc 1 .Values.s }}\nb: |\n{{ toYaml .Values | indent 2 }}\n", "s: \"héllo wörld ✓\"\nemoji: \"😀\"\n")
case("edge-printf-nested", "a: {{ printf \"%v\" .Values }}\nb: {{ printf \"%s\" (list \"a\" 1) }}\nc: {{ print .Values.l }}\n", "m: {b: [1, x], a: {c: null}}\nl: [1.5, true, null]\n", block=True)
case("edge-default-collections", "a: {{ default (list 1) (list) | toJson }} {{ default (dict \"a\" 1) (dict) | toJson }} {{ default \"x\" false }} {{ default 5 0.0 }}\n", block=True)
case("edge-template-subdirs", "kind: ConfigMap\nmetadata: {name: top}\n", files={"templates/sub/dir/deep.yaml": "kind: Secret\nmetadata: {name: deep}\n", "templates/sub/mid.yaml": "kind: Service\nmetadata: {name: mid}\n"})
case("edge-subchart-notes", "kind: ConfigMap\nmetadata: {name: c}\n", files={"templates/NOTES.txt": "parent notes", "charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n", "charts/sub/templates/NOTES.txt": "sub notes {{ .Chart.Name }}", "charts/sub/templates/cm.yaml": "kind: ConfigMap\nmetadata: {name: sub}\n"})
case("err-subchart-notes-fail", "kind: ConfigMap\nmetadata: {name: c}\n", files={"charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n", "charts/sub/templates/NOTES.txt": "sub notes {{ fail \"x\" }}"})
case("edge-values-comments-only", "a: {{ .Values | toJson }}\n", "# nothing here\n")
case("edge-values-empty-file", "a: {{ .Values | toJson }}\n", "")
case("edge-nindent-empty", "a: {{ \"\" | nindent 4 | quote }} {{ indent 2 \"\" | quote }}\n")
case("edge-include-root-and-vars", "{{- define \"t\" }}{{ .name }}-{{ .root.Release.Name }}{{ end -}}\n{{- $v := \"val\" }}\na: {{ include \"t\" (dict \"name\" $v \"root\" $) }}\n")
case("edge-trim-blocks-yaml", """metadata:
  labels:
    {{- range $k, $v := .Values.labels }}
    {{ $k }}: {{ $v | quote }}
    {{- end }}
  {{- if .Values.ann }}
  annotations:
    {{- toYaml .Values.ann | nindent 4 }}
  {{- end }}
spec:
  {{- with .Values.missing }}
  x: {{ . }}
  {{- end }}
  y: 1
""", "labels: {b: \"2\", a: one}\nann: {k: v}\n")
case("edge-crd-and-cr-order", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n---\napiVersion: v1\nkind: List\nmetadata: {name: l}\n")
case("edge-flags-comma", "a: {{ .Capabilities.APIVersions.Has \"a.io/v1\" }} {{ .Capabilities.APIVersions.Has \"b.io/v1\" }} {{ .Values.x }} {{ .Values.y }}\n", args="--api-versions a.io/v1,b.io/v1 -f one.yaml,two.yaml", files={"one.yaml": "x: 1\n", "two.yaml": "y: 2\n"})
case("edge-show-only-glob", "kind: ConfigMap\nmetadata: {name: t}\n", args="--show-only 'templates/o*.yaml'", files={"templates/other.yaml": "kind: Secret\nmetadata: {name: o}\n", "templates/zz.yaml": "kind: Secret\nmetadata: {name: z}\n"})
case("err-show-only-missing", "kind: ConfigMap\nmetadata: {name: t}\n", args="--show-only templates/nope.yaml")
case("edge-deep-globals", None, "global:\n  region: eu\n", args="", files={
    "charts/a/Chart.yaml": "apiVersion: v2\nname: a\nversion: 0.1.0\n", "charts/a/values.yaml": "global:\n  own: a\n",
    "charts/a/templates/cm.yaml": "a: {{ .Values.global.region }} {{ .Values.global.own }}\n",
    "charts/a/charts/b/Chart.yaml": "apiVersion: v2\nname: b\nversion: 0.1.0\n",
    "charts/a/charts/b/templates/cm.yaml": "b: {{ .Values.global.region }} {{ .Values.global.own }}\n"})
case("edge-condition-nested-path", None, "a:\n  b:\n    enabled: false\n", chart_yaml="apiVersion: v2\nname: mychart\nversion: 0.1.0\n", files={
    "charts/a/Chart.yaml": "apiVersion: v2\nname: a\nversion: 0.1.0\ndependencies:\n- name: b\n  version: 0.1.0\n  condition: b.enabled\n",
    "charts/a/templates/cm.yaml": "a: here\n",
    "charts/a/charts/b/Chart.yaml": "apiVersion: v2\nname: b\nversion: 0.1.0\n",
    "charts/a/charts/b/templates/cm.yaml": "b: here\n"})
case("edge-import-values-multiple", None, "", chart_yaml="apiVersion: v2\nname: mychart\nversion: 0.1.0\ndependencies:\n- name: a\n  version: 0.1.0\n  import-values: [one, two]\n- name: b\n  version: 0.1.0\n  import-values:\n  - child: deep.x\n    parent: got.x\n",
     files={"templates/test.yaml": "a: |\n{{ toYaml .Values | indent 2 }}\n",
            "charts/a/Chart.yaml": "apiVersion: v2\nname: a\nversion: 0.1.0\n", "charts/a/values.yaml": "exports:\n  one: {k1: v1}\n  two: {k2: v2, k1: two}\n",
            "charts/b/Chart.yaml": "apiVersion: v2\nname: b\nversion: 0.1.0\n", "charts/b/values.yaml": "deep:\n  x: {y: z}\n"})
case("edge-big-numbers-json", "a: {{ toJson .Values }}\nb: {{ .Values.big }} {{ .Values.neg }} {{ .Values.small }}\n", "big: 123456789012345678\nneg: -1e-7\nsmall: 0.000001\nexp: 1.5e300\n", block=True)
case("edge-lookup-index", "a: {{ (lookup \"v1\" \"ConfigMap\" \"ns\" \"x\").data | default \"none\" }} {{ index (lookup \"v1\" \"Secret\" \"\" \"\") \"items\" | toJson }}\n")
case("edge-kindis-values", "a: {{ kindIs \"map\" .Values.m }} {{ kindIs \"slice\" .Values.l }} {{ kindIs \"string\" .Values.s }} {{ kindIs \"float64\" .Values.n }} {{ kindIs \"invalid\" .Values.missing }}\n", "m: {}\nl: []\ns: x\nn: 1\n")
case("edge-get-hasKey-nested", "a: {{ hasKey .Values.m \"k\" }} {{ get .Values.m \"k\" }} {{ .Values.m | keys | sortAlpha | join \",\" }}\n", "m: {k: v, j: null}\n")
case("edge-ternary-chains", "a: {{ ternary \"a\" \"b\" (and .Values.x (not .Values.y)) }} {{ .Values.x | ternary 1 2 }}\n", "x: true\ny: false\n")
case("edge-regex-capture", "a: {{ regexReplaceAll \"(?P<first>\\\\w+) (?P<last>\\\\w+)\" \"John Smith\" \"${last}, ${first}\" }}\nb: {{ regexFind \"[a-z]+\" \"123abc456\" }} {{ mustRegexMatch \"^v[0-9]\" \"v1.2\" }}\n", block=True)
case("edge-semver-object", "a: {{ (semver \"1.2.3\").String }} {{ (semver \"v1.2\").Original }} {{ (semver \"1.2.3+meta\").Metadata }} {{ semverCompare \"!=1.2.3\" \"1.2.4\" }} {{ semverCompare \"<=1.2\" \"1.2.9\" }} {{ semverCompare \">1.2\" \"1.3.0\" }}\n")
case("err-semver-invalid", "a: {{ semverCompare \">=1.0\" \"not-a-version\" }}\n")
case("err-set-index-negative", "a: 1\n", args="--set a[-1]=x")
case("err-kube-version-invalid", "a: 1\n", args="--kube-version notaversion")
case("edge-set-file-and-string-order", "a: |\n{{ toYaml .Values | indent 2 }}\n", args="--set-string x=str --set x=5 --set-file y=y.txt --set y=fromset", files={"y.txt": "from file"})
case("edge-release-name-default", "a: {{ .Release.Name }}\n", raw_cmd="helm template mychart")
case("edge-namespace-short", "a: {{ .Release.Namespace }}\n", args="-n other")
case("edge-chart-annotations-map", "a: {{ range $k, $v := .Chart.Annotations }}{{ $k }}={{ $v }};{{ end }}\n", chart_yaml="apiVersion: v2\nname: mychart\nversion: 0.1.0\nannotations:\n  b: \"2\"\n  a: one\n")
case("edge-dependencies-object", "a: {{ range .Chart.Dependencies }}{{ .Name }}:{{ .Alias }}:{{ .Condition }};{{ end }}\n", chart_yaml="apiVersion: v2\nname: mychart\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 0.1.0\n  alias: al\n  condition: al.on\n",
     files={"charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n"})

# ---------------------------------------------------------------- a realistic chart with a common library
LIB_HELPERS = """{{- define "lib.names.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "lib.names.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- define "lib.tplvalues.render" -}}
{{- $value := typeIs "string" .value | ternary .value (.value | toYaml) }}
{{- if contains "{{" (toJson .value) }}
  {{- if .scope }}
      {{- tpl (cat "{{- with $.RelativeScope -}}" $value "{{- end }}") (merge (dict "RelativeScope" .scope) .context) }}
  {{- else }}
    {{- tpl $value .context }}
  {{- end }}
{{- else }}
    {{- $value }}
{{- end }}
{{- end -}}
{{- define "lib.labels.standard" -}}
{{- $default := dict "app.kubernetes.io/name" (include "lib.names.name" .context) "helm.sh/chart" (printf "%s-%s" .context.Chart.Name (.context.Chart.Version | replace "+" "_")) "app.kubernetes.io/instance" .context.Release.Name "app.kubernetes.io/managed-by" .context.Release.Service -}}
{{- with .context.Chart.AppVersion -}}
{{- $_ := set $default "app.kubernetes.io/version" . -}}
{{- end -}}
{{ template "lib.tplvalues.render" (dict "value" (merge (dict) .customLabels $default) "context" .context) }}
{{- end -}}
{{- define "lib.images.image" -}}
{{- $registryName := default .imageRoot.registry ((.global).imageRegistry) -}}
{{- $repositoryName := .imageRoot.repository -}}
{{- $separator := ":" -}}
{{- $termination := .imageRoot.tag | toString -}}
{{- if .imageRoot.digest }}
    {{- $separator = "@" -}}
    {{- $termination = .imageRoot.digest | toString -}}
{{- end -}}
{{- if $registryName }}
    {{- printf "%s/%s%s%s" $registryName $repositoryName $separator $termination -}}
{{- else -}}
    {{- printf "%s%s%s"  $repositoryName $separator $termination -}}
{{- end -}}
{{- end -}}
{{- define "lib.capabilities.deployment.apiVersion" -}}
{{- if semverCompare "<1.14-0" (default .Capabilities.KubeVersion.Version .Values.kubeVersion) -}}
{{- print "extensions/v1beta1" -}}
{{- else -}}
{{- print "apps/v1" -}}
{{- end -}}
{{- end -}}
{{- define "lib.resources.preset" -}}
{{- $presets := dict "nano" (dict "requests" (dict "cpu" "100m" "memory" "128Mi") "limits" (dict "cpu" "150m" "memory" "192Mi")) "small" (dict "requests" (dict "cpu" "500m" "memory" "512Mi") "limits" (dict "cpu" "750m" "memory" "768Mi")) -}}
{{- if hasKey $presets .type -}}
{{- index $presets .type | toYaml -}}
{{- else -}}
{{- printf "ERROR: Preset key '%s' invalid. Allowed values are %s" .type (join "," (keys $presets | sortAlpha)) | fail -}}
{{- end -}}
{{- end -}}
"""
APP_DEPLOY = """apiVersion: {{ include "lib.capabilities.deployment.apiVersion" . }}
kind: Deployment
metadata:
  name: {{ include "lib.names.fullname" . }}
  namespace: {{ .Release.Namespace | quote }}
  labels: {{- include "lib.labels.standard" (dict "customLabels" .Values.commonLabels "context" $) | nindent 4 }}
  {{- if .Values.commonAnnotations }}
  annotations: {{- include "lib.tplvalues.render" (dict "value" .Values.commonAnnotations "context" $) | nindent 4 }}
  {{- end }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {{- include "lib.labels.standard" (dict "customLabels" (dict) "context" $) | nindent 6 }}
  template:
    metadata:
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    spec:
      {{- with .Values.nodeSelector }}
      nodeSelector: {{- include "lib.tplvalues.render" (dict "value" . "context" $) | nindent 8 }}
      {{- end }}
      containers:
        - name: app
          image: {{ include "lib.images.image" (dict "imageRoot" .Values.image "global" .Values.global) }}
          imagePullPolicy: {{ .Values.image.pullPolicy | default "IfNotPresent" }}
          {{- if .Values.resources }}
          resources: {{- toYaml .Values.resources | nindent 12 }}
          {{- else if ne .Values.resourcesPreset "none" }}
          resources: {{- include "lib.resources.preset" (dict "type" .Values.resourcesPreset) | nindent 12 }}
          {{- end }}
          env:
            - name: RELEASE
              value: {{ .Release.Name | quote }}
            {{- range $k, $v := .Values.extraEnv }}
            - name: {{ $k | upper | replace "-" "_" }}
              value: {{ tpl (toString $v) $ | quote }}
            {{- end }}
          ports:
            {{- range .Values.ports }}
            - name: {{ .name }}
              containerPort: {{ .port }}
              protocol: {{ .protocol | default "TCP" }}
            {{- end }}
"""
APP_CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "lib.names.fullname" . }}
data:
  {{- range $path, $_ := .Files.Glob "config/*" }}
  {{ base $path }}: |
{{ $.Files.Get $path | indent 4 }}
  {{- end }}
  settings.json: {{ .Values.settings | toJson | quote }}
"""
APP_SVC = """{{- if .Values.service.enabled }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "lib.names.fullname" . }}
  labels: {{- include "lib.labels.standard" (dict "customLabels" .Values.commonLabels "context" $) | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  {{- if and (eq .Values.service.type "LoadBalancer") (not (empty .Values.service.loadBalancerIP)) }}
  loadBalancerIP: {{ .Values.service.loadBalancerIP }}
  {{- end }}
  ports:
    {{- range .Values.ports }}
    - port: {{ .port }}
      targetPort: {{ .name }}
      {{- if and (eq $.Values.service.type "NodePort") .nodePort }}
      nodePort: {{ .nodePort }}
      {{- end }}
    {{- end }}
{{- end }}
"""
APP_VALUES = """nameOverride: ""
fullnameOverride: ""
replicaCount: 2
commonLabels:
  team: "{{ .Release.Namespace }}-team"
commonAnnotations: {}
image:
  registry: docker.io
  repository: example/app
  tag: 1.2.3
  digest: ""
global:
  imageRegistry: ""
resources: {}
resourcesPreset: nano
nodeSelector: {}
extraEnv:
  log-level: debug
  greeting: "hello {{ .Release.Name }}"
ports:
  - name: http
    port: 8080
  - name: metrics
    port: 9090
    protocol: UDP
    nodePort: 30090
settings:
  feature: true
  limit: 10
service:
  enabled: true
  type: ClusterIP
  loadBalancerIP: ""
"""
def lib_app(name, args=""):
    case(name, None, APP_VALUES, args=args, chart="app", chart_yaml="apiVersion: v2\nname: app\nversion: 1.0.0+build.5\nappVersion: \"2.0\"\ndependencies:\n- name: lib\n  version: 1.x.x\n",
         files={"templates/deployment.yaml": APP_DEPLOY, "templates/configmap.yaml": APP_CM, "templates/service.yaml": APP_SVC,
                "config/app.conf": "key = value\nother = 2\n", "config/logging.ini": "[root]\nlevel=INFO\n",
                "charts/lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 1.4.0\ntype: library\n", "charts/lib/templates/_helpers.tpl": LIB_HELPERS})
lib_app("real-lib-app-default")
lib_app("real-lib-app-overrides", "--set fullnameOverride=custom,global.imageRegistry=mirror.io,image.digest=sha256:abc,service.type=NodePort,resourcesPreset=small,nodeSelector.disk=ssd --set-string commonAnnotations.note='{{ .Chart.Name }}' -n prod")
lib_app("real-lib-app-loadbalancer", "--set service.type=LoadBalancer,service.loadBalancerIP=1.2.3.4,resources.limits.cpu=1 --kube-version 1.13.0 --set replicaCount=1")
lib_app("err-real-lib-app-bad-preset", "--set resourcesPreset=huge")

# ---------------------------------------------------------------- matrices: many functions x many inputs
STR_INPUTS = ["", " a b ", "Hello World", "hello_world-foo", "ÄÖü ß", "CamelCaseString", "x:y #z", "a\\tb", "123", "  lead", "HTTPServer2Go"]
STR_FUNCS = ["upper", "lower", "title", "untitle", "trim", "nospace", "initials", "swapcase", "snakecase", "camelcase", "kebabcase", "b64enc", "b32enc", "sha1sum", "adler32sum", "quote", "squote", "len", "toString", "toJson", "toYaml", "base", "dir", "ext", "clean", "isAbs", "urlquery", "html", "js", "typeOf", "empty", "atoi", "int", "int64", "float64"]
lines = []
for i, inp in enumerate(STR_INPUTS):
    for f in STR_FUNCS:
        lines.append(f'{f}{i}: {{{{ {f} "{inp}" | toJson }}}}')
case("matrix-string-functions", "\n".join(l for l in lines if not ("4:" in l.split(" ")[0] and l.startswith(("nospace", "initials")))) + "\n", block=True)
case("err-nospace-unicode-mojibake", 'a: {{ nospace "Ä b" }}\n')
case("edge-nospace-unicode-no-space", 'a: {{ nospace "Äb" }} {{ initials "Äb cd" | len }}\n')
VAL_INPUTS = {"zero": "0", "one": "1", "onef": "1.5", "neg": "-2", "big": "12345678", "str": "\"s\"", "numstr": "\"42\"", "floatstr": "\"4.7\"", "t": "true", "f": "false", "nul": "null", "list": "[1, a]", "emptylist": "[]", "map": "{k: v}", "emptymap": "{}", "octstr": "\"0755\"", "hexstr": "\"0x1F\""}
vals = "".join(f"{k}: {v}\n" for k, v in VAL_INPUTS.items())
VAL_FUNCS = ["toString", "int", "int64", "float64", "toJson", "toYaml", "empty", "typeOf", "kindOf", "default \"D\"", "quote", "toStrings", "toDecimal", "add1", "ceil", "floor", "not", "len", "first", "compact", "b64enc"]
lines = []
for k in VAL_INPUTS:
    for f in VAL_FUNCS:
        name = f.split()[0]
        lines.append(f'{name}-{k}: {{{{ .Values.{k} | {f} | toJson }}}}')
case("matrix-value-functions", "\n".join(lines) + "\n", vals, block=True)
case("matrix-comparisons", "\n".join([f'{a}-{b}: {{{{ eq {a} {b} }}}} {{{{ ne {a} {b} }}}} {{{{ lt {a} {b} }}}} {{{{ ge {a} {b} }}}}' for a, b in [("1", "2"), ("2", "2"), ("\"a\"", "\"b\""), ("1.5", "0.5"), ("-1", "1"), ("\"\"", "\"a\"")]]) + "\n", block=True)
case("matrix-printf", "\n".join([f'p{i}: {{{{ printf {fmt} {arg} }}}}' for i, (fmt, arg) in enumerate([
    ('"%5.2f"', "3.14159"), ('"%-8s|"', '"ab"'), ('"%08.3f"', "-3.5"), ('"%+d"', "5"), ('"% d"', "5"), ('"%x"', '"hi"'), ('"%X"', "3054"), ('"%o"', "64"),
    ('"%e"', "123456.789"), ('"%E"', "0.000123"), ('"%g"', "100000000.0"), ('"%g"', "0.0001"), ('"%.3g"', "3.14159"), ('"%q"', "65"), ('"%c"', "9731"),
    ('"%v"', '(list 1 "a" (dict "k" 2))'), ('"%d"', "(list 1 2)"), ('"%s"', '(dict "k" "v")'), ('"%t"', "false"), ('"%5t|"', "true"),
    ('"%3c|"', "65"), ('"%U"', "65"), ('"%#x"', "255"), ('"%#o"', "8"), ('"%b"', "10"), ('"%.0f"', "2.5"), ('"%.0f"', "3.5"), ('"%6.1e"', "12345.0"),
    ('"%s %s"', '"only"'), ('"%!"', '""'), ('"%d%%"', "50"), ('"%10.4v|"', "3.14159265"), ('"%-10v|"', "true"), ('"%v"', "nil"), ('"%s"', "nil"), ('"%d"', '"str"'), ('"%x"', "-255")])]) + "\n", block=True)

# ---------------------------------------------------------------- conformance charts
for chart, variants in [
    ("podinfo", ["", "-f ../_charts/podinfo/values-prod.yaml"]),
    ("kube-state-metrics", [""] + [f"-f ../_charts/kube-state-metrics/ci/{f}" for f in sorted(os.listdir(os.path.join(HERE, "_charts/kube-state-metrics/ci")))]),
    ("prometheus-node-exporter", [""] + [f"-f ../_charts/prometheus-node-exporter/ci/{f}" for f in sorted(os.listdir(os.path.join(HERE, "_charts/prometheus-node-exporter/ci")))]),
]:
    for v in variants:
        suffix = "default" if not v else os.path.basename(v.split()[-1]).replace(".yaml", "")
        mask = "(?m)-test-[a-z0-9]{5}$" if chart == "podinfo" else None
        CASES.append((f"conf-{chart}-{suffix}", {}, f"helm template rel ../_charts/{chart} {v}".strip(), mask))


def write_case(name, fs, cmd, mask):
    d = os.path.join(HERE, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for rel, data in fs.items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(data)
    for rel, data in CASES_BIN.get(name, {}).items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    with open(os.path.join(d, "cmd"), "w") as f:
        f.write(cmd + "\n")
    if mask:
        with open(os.path.join(d, "mask"), "w") as f:
            f.write(mask + "\n")
    return d


def record(d, cmd, oracle):
    import shlex
    args = shlex.split(cmd)
    env = dict(os.environ, HELM_CACHE_HOME="/tmp/capstan-helm-oracle", HELM_CONFIG_HOME="/tmp/capstan-helm-oracle", HELM_DATA_HOME="/tmp/capstan-helm-oracle")
    p = subprocess.run([os.path.join(oracle, "helm")] + args[1:], cwd=d, capture_output=True, env=env)
    for stale in ("expected.yaml", "expected_error.txt"):
        if os.path.exists(os.path.join(d, stale)):
            os.remove(os.path.join(d, stale))
    if p.returncode == 0:
        with open(os.path.join(d, "expected.yaml"), "wb") as f:
            f.write(p.stdout)
    else:
        with open(os.path.join(d, "expected_error.txt"), "wb") as f:
            f.write(p.stderr)


def main():
    oracle = os.path.expanduser("~/.cache/capstan/oracles/bin")
    argv = sys.argv[1:]
    if len(argv) >= 2 and argv[0] == "--oracle":
        oracle = argv[1]
        argv = argv[2:]
    flt = argv[0] if argv else ""
    names = set()
    for name, fs, cmd, mask in CASES:
        if name in names:
            raise SystemExit(f"duplicate case {name}")
        names.add(name)
        if flt not in name:
            continue
        d = write_case(name, fs, cmd, mask)
        record(d, cmd, oracle)
    print(f"{len(CASES)} cases")


if __name__ == "__main__":
    main()
