package normalize

import "github.com/valyala/fastjson"

// container.image.name lists the images of a pod spec found in requestObject:
// a Pod's spec, a workload's spec.template.spec (Deployment, ReplicaSet,
// StatefulSet, DaemonSet, Job) or a CronJob's
// spec.jobTemplate.spec.template.spec, each in containers, initContainers and
// ephemeralContainers order, without duplicates. Only the request is read:
// it is what the caller asked for, and the response repeats it.

func (n *Normalizer) collectImages(req *fastjson.Value) {
	n.imgs = n.imgs[:0]
	if req == nil || req.Type() != fastjson.TypeObject {
		return
	}
	n.podSpecImages(req.Get("spec"))
	n.podSpecImages(req.Get("spec", "template", "spec"))
	n.podSpecImages(req.Get("spec", "jobTemplate", "spec", "template", "spec"))
}

func (n *Normalizer) podSpecImages(spec *fastjson.Value) {
	if spec == nil || spec.Type() != fastjson.TypeObject {
		return
	}
	n.containerImages(spec.Get("containers"))
	n.containerImages(spec.Get("initContainers"))
	n.containerImages(spec.Get("ephemeralContainers"))
}

func (n *Normalizer) containerImages(list *fastjson.Value) {
	if list == nil || list.Type() != fastjson.TypeArray {
		return
	}
	for _, c := range list.GetArray() {
		if c.Type() == fastjson.TypeObject {
			n.imgs = appendUnique(n.imgs, stringOf(c.Get("image")))
		}
	}
}
