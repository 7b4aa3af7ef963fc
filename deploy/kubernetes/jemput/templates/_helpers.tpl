{{/* Names and labels every object of the release shares. */}}

{{- define "jemput.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "jemput.labels" -}}
app.kubernetes.io/part-of: jemput
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector of one component: (dict "root" $ "name" "intake") */}}
{{- define "jemput.selector" -}}
app.kubernetes.io/part-of: jemput
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Environment entries from the keys Secret, by what a service uses. */}}
{{- define "jemput.secretEnv" -}}
{{- $secret := .root.Values.keysSecret -}}
{{- $entries := dict
  "chain" (list (list "JEMPUT_CHAIN_KEY_ID" false) (list "JEMPUT_CHAIN_KEY" false) (list "JEMPUT_CHAIN_OLD_KEYS" true))
  "pseudonym" (list (list "JEMPUT_PSEUDONYM_KEY" false))
  "dataKek" (list (list "JEMPUT_DATA_KEK_ID" false) (list "JEMPUT_DATA_KEK" false) (list "JEMPUT_DATA_OLD_KEKS" true))
  "apiKeys" (list (list "JEMPUT_API_KEYS" false)) -}}
{{- range .keys }}
{{- if not (hasKey $entries .) }}
{{- fail (printf "unknown secretKeys entry %q (known: chain, pseudonym, dataKek, apiKeys)" .) }}
{{- end }}
{{- range (get $entries .) }}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ index . 0 }}
      {{- if index . 1 }}
      optional: true
      {{- end }}
{{- end }}
{{- end }}
{{- end -}}
