// Command k8saudit-check-apiserver checks a kube-apiserver static-pod manifest, and the files
// on the node it refers to, before the kubelet runs it. A kube-apiserver that cannot read
// its audit policy does not start, and the kubelet does not start a pod (API server
// included) while a hostPath volume of type Directory or File is missing: a merge of the
// k8saudit lines into /etc/kubernetes/manifests/kube-apiserver.yaml that forgets a file
// takes the control plane's API down on that node.
//
//	k8saudit-check-apiserver [-root DIR] [-manifests DIR] MANIFEST
//
// Check the edited copy, then put it in place:
//
//	cp /etc/kubernetes/manifests/kube-apiserver.yaml /root/kube-apiserver.yaml
//	(merge the k8saudit lines into /root/kube-apiserver.yaml)
//	k8saudit-check-apiserver /root/kube-apiserver.yaml && \
//	  install -m 0600 /root/kube-apiserver.yaml /etc/kubernetes/manifests/kube-apiserver.yaml
//
// What it checks (see check.go): the manifest decodes strictly as a v1 Pod; every hostPath
// volume of type Directory, File, Socket, CharDevice or BlockDevice exists on the node as
// that kind; the files the API server's flags name (--audit-policy-file,
// --audit-webhook-config-file, the certificates and keys) are mounted into its container
// and exist on the node; the audit policy loads (with the plugin's policy reader, which is
// stricter than the API server's); the audit log's directory is mounted writable. For the
// k8saudit sidecar: it reads the very file the API server writes, read-only; its intake
// file exists, is readable by root only and sets a URL; nothing comes from a Secret. And no
// other file in the manifests directory is a second kube-apiserver pod (the kubelet runs
// every file there, backups included).
//
// -root DIR looks the node's paths up under DIR (for tests, or a node's disk mounted
// elsewhere). Problems go to standard output as "problem: ...", warnings as "warning: ...";
// the exit status is 1 when there is a problem, 2 on a usage error, 0 otherwise.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	fs := flag.NewFlagSet("k8saudit-check-apiserver", flag.ContinueOnError)
	root := fs.String("root", "/", "where the node's filesystem is")
	manifests := fs.String("manifests", "/etc/kubernetes/manifests", "the kubelet's static pod directory (on the node, under -root)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: k8saudit-check-apiserver [-root DIR] [-manifests DIR] MANIFEST")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil || fs.NArg() != 1 {
		fs.Usage()
		os.Exit(2)
	}
	r := Check(fs.Arg(0), *root, *manifests)
	for _, w := range r.Warnings {
		fmt.Println("warning: " + w)
	}
	for _, p := range r.Problems {
		fmt.Println("problem: " + p)
	}
	if len(r.Problems) > 0 {
		fmt.Printf("%s: %d problem(s): do not install it\n", fs.Arg(0), len(r.Problems))
		os.Exit(1)
	}
	fmt.Printf("%s: ok (%d warning(s))\n", fs.Arg(0), len(r.Warnings))
}
