{{- define "kap.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kap.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kap.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{ include "kap.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "kap.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kap.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kap.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kap.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kap.secretName" -}}
{{- default (printf "%s-auth" (include "kap.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{/* The ClusterRole the access mode calls for. */}}
{{- define "kap.clusterRole" -}}
{{- if .Values.rbac.clusterRole -}}
{{- .Values.rbac.clusterRole -}}
{{- else if eq .Values.server.access "read-only" -}}
view
{{- else if eq .Values.server.access "standard" -}}
edit
{{- else if eq .Values.server.access "admin" -}}
{{- if .Values.server.allowedNamespaces -}}admin{{- else -}}cluster-admin{{- end -}}
{{- else -}}
{{- fail "server.access must be read-only, standard or admin" -}}
{{- end -}}
{{- end -}}

{{/* The OAuth and identity settings, with oauth.issuer set. */}}
{{- define "kap.oauthEnv" -}}
{{- if not .Values.oauth.audience -}}
{{- fail "oauth.audience is required with oauth.issuer" -}}
{{- end -}}
- name: K8S_MCP_OAUTH_ISSUER
  value: {{ .Values.oauth.issuer | quote }}
- name: K8S_MCP_OAUTH_AUDIENCE
  value: {{ .Values.oauth.audience | quote }}
- name: K8S_MCP_OAUTH_REQUIRED_SCOPES
  value: {{ join "," .Values.oauth.requiredScopes | quote }}
- name: K8S_MCP_OAUTH_USER_CLAIM
  value: {{ .Values.oauth.userClaim | quote }}
- name: K8S_MCP_OAUTH_GROUPS_CLAIM
  value: {{ .Values.oauth.groupsClaim | quote }}
- name: K8S_MCP_OAUTH_USER_PREFIX
  value: {{ .Values.oauth.userPrefix | quote }}
- name: K8S_MCP_OAUTH_GROUPS_PREFIX
  value: {{ .Values.oauth.groupsPrefix | quote }}
- name: K8S_MCP_IDENTITY
  value: {{ .Values.identity.mode | quote }}
{{- with .Values.oauth.publicUrl }}
- name: K8S_MCP_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- if .Values.oauth.caConfigMap }}
- name: K8S_MCP_OAUTH_CA_FILE
  value: /etc/kube-ai-proxy/oauth-ca/ca.crt
{{- end }}
{{- end -}}
