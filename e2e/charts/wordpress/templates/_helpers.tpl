{{- define "wp.labels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "wp.mariadbHost" -}}
{{- if eq .Values.mariadb.architecture "standalone" -}}
{{ .Release.Name }}-mariadb
{{- else -}}
{{ .Release.Name }}-mariadb-primary
{{- end -}}
{{- end -}}
