#!/bin/sh
# Creates on a control-plane node everything the k8saudit lines of kube-apiserver.yaml need,
# before they are merged into /etc/kubernetes/manifests/kube-apiserver.yaml:
#
#   /etc/kubernetes/audit/policy.yaml        the API server's audit policy (--audit-policy-file;
#                                            a kube-apiserver that cannot read it does not start)
#   /var/log/kubernetes/audit/               where the API server writes audit.log
#   /etc/kubernetes/k8saudit/intake.conf     the sidecar's intake settings (root, 0600)
#   /var/lib/k8saudit/                       the sidecar's offsets, buffer and dead letters
#
#   sudo conf/kubernetes/static-pod-setup.sh [POLICY]
#
# POLICY defaults to conf/policies/metadata.yaml (every request at Metadata, no bodies); see
# conf/policies/ for the others. A policy or intake file already in place is kept (the
# script says so): edit it, or remove it and run again. ROOT=DIR prefixes every path (for
# tests). Then edit intake.conf, merge the manifest's lines into a copy of the live
# manifest outside /etc/kubernetes/manifests, and check it with k8saudit-check-apiserver
# (make check-apiserver-manifest) before putting it in place.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=${ROOT:-}
policy=${1:-$here/../policies/metadata.yaml}
[ -r "$policy" ] || { echo "static-pod-setup: cannot read the policy $policy" >&2; exit 1; }

install -d -m 0755 "$root/etc/kubernetes/audit"
install -d -m 0700 "$root/var/log/kubernetes/audit" "$root/etc/kubernetes/k8saudit" "$root/var/lib/k8saudit"

if [ -e "$root/etc/kubernetes/audit/policy.yaml" ]; then
  echo "static-pod-setup: keeping the existing $root/etc/kubernetes/audit/policy.yaml" >&2
else
  install -m 0600 "$policy" "$root/etc/kubernetes/audit/policy.yaml"
  echo "static-pod-setup: installed $policy as $root/etc/kubernetes/audit/policy.yaml" >&2
fi

if [ -e "$root/etc/kubernetes/k8saudit/intake.conf" ]; then
  echo "static-pod-setup: keeping the existing $root/etc/kubernetes/k8saudit/intake.conf" >&2
else
  install -m 0600 "$here/../intake.conf.example" "$root/etc/kubernetes/k8saudit/intake.conf"
  echo "static-pod-setup: installed $root/etc/kubernetes/k8saudit/intake.conf: set the URL and the key in it" >&2
fi
