not: yaml: at: all
{{ define "x" }}{{ end }}