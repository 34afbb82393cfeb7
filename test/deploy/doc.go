// Package deploy checks what k8saudit ships for deployment, without a cluster, a registry or
// a docker engine:
//
//   - every Fluent Bit configuration in conf/ (classic and YAML, and the one the Helm values
//     add) keeps the settings an audit pipeline needs (workers, retry_limit, filesystem
//     buffer, tail's buffer_max_size and offsets DB), and the k8saudit [OUTPUT] keys it
//     sets are accepted by the plugin's Init through the proxy harness (and ship a sample
//     event to a test intake); Fluent Bit itself (found by package test/fbhost) loads each one with
//     the plugin (--dry-run);
//   - every Kubernetes manifest in conf/kubernetes/ decodes strictly (an unknown field is an
//     error) into the Kubernetes API types, and the API server's webhook kubeconfig into
//     client-go's kubeconfig type;
//   - every key of conf/helm/values.yaml exists in the fluent/fluent-bit chart's own defaults,
//     and the Kubernetes objects in it decode strictly;
//   - the kustomize presets (conf/kubernetes/presets) and Helm presets (conf/helm/presets)
//     read the audit log of their distribution through a read-only mount of its directory,
//     the two agree, and the README's table lists them;
//   - the Dockerfile's build stage runs the Makefile's build command (`make so ARCH=...` =
//     BUILD_SO), with the Go version of go.mod, cross-compiling on the builder's platform,
//     and the image is what the manifests reference (the Makefile's IMAGE);
//   - `make run` (build/run.sh) prints only events on stdout and passes every K8SAUDIT_*
//     setting to the plugin (checked at a test intake), through the harness and, with
//     FLUENT_BIT, Fluent Bit;
//   - with an arm64 cross compiler, `make so ARCH=arm64` builds an aarch64 .so exporting the
//     plugin's entry points.
//
// Environment: K8SAUDIT_SO names a built plugin to use (make test sets it; otherwise the test
// builds one); FLUENT_BIT a fluent-bit binary for the --dry-run checks (else fluent-bit on PATH,
// else ../shared/tools/fluent-bit/ensure; skipped without one, failed under CI=true).
package deploy
