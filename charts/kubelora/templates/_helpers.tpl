{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "kubelora.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects: the release name, plus the chart name unless it already contains it. */}}
{{- define "kubelora.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "kubelora.selectorLabels" -}}
app.kubernetes.io/name: kubelora-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kubelora.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kubelora.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: kubelora
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "kubelora.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kubelora.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kubelora.operatorImage" -}}
{{- printf "%s:%s" .Values.operator.image.repository (default .Chart.AppVersion .Values.operator.image.tag) }}
{{- end }}

{{- define "kubelora.trainerImage" -}}
{{- printf "%s:%s" .Values.trainer.image.repository (default .Chart.AppVersion .Values.trainer.image.tag) }}
{{- end }}

{{/*
"true" when the cluster serves admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy. Installed in a cluster,
Helm knows its API versions down to the kinds (v1/Pod among them) and the capability decides; rendered without one
(helm template), the Kubernetes version does: GA and served from 1.30.
*/}}
{{- define "kubelora.validatingAdmissionPolicyServed" -}}
{{- if .Capabilities.APIVersions.Has "v1/Pod" }}
{{- .Capabilities.APIVersions.Has "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy" }}
{{- else }}
{{- semverCompare ">=1.30.0-0" .Capabilities.KubeVersion.Version }}
{{- end }}
{{- end }}

{{/* The Lease the operator's replicas elect their leader with, in the release namespace. */}}
{{- define "kubelora.leaseName" -}}
{{- printf "%s-leader" (include "kubelora.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The namespaces whose runs the operator reconciles when not cluster-wide, as a JSON list. */}}
{{- define "kubelora.watchNamespaces" -}}
{{- if .Values.watchNamespaces }}
{{- toJson .Values.watchNamespaces }}
{{- else }}
{{- toJson (list .Release.Namespace) }}
{{- end }}
{{- end }}

{{/*
Everything the operator does, and nothing more: it reconciles LoraFineTunes, creates one training Job and
one ConfigMap per run, reads the Job's pod to scrape its metrics, records Events, and reads the FineTunePolicies of
a run's namespace before it starts the run (FineTuneProfiles: profile-reader-rbac.yaml).
*/}}
{{- define "kubelora.rbacRules" -}}
- apiGroups: ["kubelora.io"]
  resources: ["lorafinetunes"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["kubelora.io"]
  resources: ["lorafinetunes/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["kubelora.io"]
  resources: ["lorafinetunes/finalizers"]
  verbs: ["update"]
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# update: the run's ConfigMap is created, or replaced when it is left over from an earlier attempt.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "update", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["kubelora.io"]
  resources: ["finetunepolicies"]
  verbs: ["get", "list"]
{{- end }}
