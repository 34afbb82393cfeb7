package normalize

import (
	"github.com/k8saudit/k8saudit/internal/jsonskip"
	"github.com/k8saudit/k8saudit/normalize/internal/docwriter"
	"github.com/valyala/fastjson"
)

// k8saudit.images lists the images of a pod spec found in requestObject: a
// Pod's spec, a workload's spec.template.spec (Deployment, ReplicaSet,
// StatefulSet, DaemonSet, Job) or a CronJob's
// spec.jobTemplate.spec.template.spec, each in containers, initContainers and
// ephemeralContainers order, without duplicates, whatever the verb: the
// images the request names. Only the request is read: it is what the caller
// asked for, and the response repeats it.
//
// container.image.name holds the same list only for a Pod being created
// (podCreate): ECS's container fields describe a container that exists, and
// the images of a Deployment's template, a patch or a pod update name no
// container that ran (the template's pods are created later, by a
// controller, and their own create events carry container.image.name).

// podCreate reports whether e creates a Pod (core group, no subresource):
// the one request whose images are containers about to run.
func podCreate(e *event) bool {
	return string(e.verb) == "create" && string(e.resource) == "pods" &&
		len(e.subresource) == 0 && len(e.apiGroup) == 0
}

// writeImages writes the collected images as the array member k.
func (n *Normalizer) writeImages(k *docwriter.Key) {
	w := &n.w
	w.OpenArr(k)
	for _, img := range n.doc.imgs {
		w.StrElem(img)
	}
	w.CloseArr()
}

func (n *Normalizer) collectImages(req *fastjson.Value) {
	n.doc.imgs = n.doc.imgs[:0]
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
			n.doc.imgs = appendUnique(n.doc.imgs, stringOf(c.Get("image")))
		}
	}
}

// collectImagesText is collectImages for a scanned body, read from its
// sanitized text (compact, valid JSON) without building a tree: only the
// few members on the way are looked at, the rest is skipped. It reports
// false, having collected nothing, when the tree must be read instead: a
// body given as a tree, or a key or image with an escape on the way (rare,
// and where comparing text is not comparing values).
func (n *Normalizer) collectImagesText(e *event) bool {
	n.doc.imgs = n.doc.imgs[:0]
	if e.req < 0 {
		return false
	}
	if !n.hk.keepReq {
		return true
	}
	b := n.bodyAt(e.req)
	if b == nil || !b.hasSpec || b.over {
		return true
	}
	src := n.bodyText(b)
	if b.specAt <= 0 || b.specAt >= len(src) || src[b.specAt] != '{' {
		return n.imgsFallback() // cannot happen: the scanner saw the spec there
	}
	// The pod specs: spec, then spec.template.spec, then
	// spec.jobTemplate.spec.template.spec.
	var tmpl, job int
	var ok bool
	if b.podSpecOK { // the scanner noted spec's members
		var at [len(podSpecMembers)]int
		for m, off := range b.podSpec {
			at[m] = int(off)
		}
		tmpl, job, ok = n.podSpecListImages(src, at)
	} else {
		tmpl, job, ok = n.podSpecImagesText(src, b.specAt)
	}
	if !ok {
		return n.imgsFallback()
	}
	if tmpl, ok = memberOf(src, tmpl, "spec"); !ok {
		return n.imgsFallback()
	}
	if _, _, ok = n.podSpecImagesText(src, tmpl); !ok {
		return n.imgsFallback()
	}
	for _, key := range [...]string{"spec", "template", "spec"} {
		if job, ok = memberOf(src, job, key); !ok {
			return n.imgsFallback()
		}
	}
	if _, _, ok = n.podSpecImagesText(src, job); !ok {
		return n.imgsFallback()
	}
	return true
}

func (n *Normalizer) imgsFallback() bool {
	n.doc.imgs = n.doc.imgs[:0]
	return false
}

// podSpecMembers are the members of a pod spec read in one pass: the lists
// of containers, in the order their images are collected, then the two
// members a workload's pod spec hangs from.
var podSpecMembers = [...]string{"containers", "initContainers", "ephemeralContainers", "template", "jobTemplate"}

// podSpecImagesText collects the images of the pod spec at src[spec] (none
// when it is not an object) and returns its template and jobTemplate
// members (-1 when absent); false when the tree must be read instead.
func (n *Normalizer) podSpecImagesText(src []byte, spec int) (tmpl, job int, ok bool) {
	if spec < 0 || src[spec] != '{' {
		return -1, -1, true
	}
	// One pass finds the first of each member.
	at := [len(podSpecMembers)]int{-1, -1, -1, -1, -1}
	for i := spec + 1; src[i] != '}'; {
		j := jsonskip.StringEnd(src, i+1)
		key := src[i+1 : j-1]
		if hasBackslash(key) {
			return -1, -1, false
		}
		for k, name := range podSpecMembers {
			if at[k] < 0 && string(key) == name {
				at[k] = j + 1
			}
		}
		i = skipValue(src, j+1)
		if src[i] == ',' {
			i++
		}
	}
	return n.podSpecListImages(src, at)
}

// podSpecListImages collects the images of a pod spec whose
// podSpecMembers are at the offsets at (-1: absent) and returns its
// template and jobTemplate members.
func (n *Normalizer) podSpecListImages(src []byte, at [len(podSpecMembers)]int) (tmpl, job int, ok bool) {
	for _, list := range at[:3] {
		if list < 0 || src[list] != '[' {
			continue
		}
		for i := list + 1; src[i] != ']'; {
			if src[i] == '{' {
				img, ok := memberOf(src, i, "image")
				if !ok {
					return -1, -1, false
				}
				if img >= 0 && src[img] == '"' {
					j := jsonskip.StringEnd(src, img+1)
					v := src[img+1 : j-1]
					if hasBackslash(v) {
						return -1, -1, false
					}
					n.doc.imgs = appendUnique(n.doc.imgs, v)
				}
			}
			i = skipValue(src, i)
			if src[i] == ',' {
				i++
			}
		}
	}
	return at[3], at[4], true
}

// memberOf returns the index of the value of the first member named k of
// the object at src[i] in compact valid JSON, as fastjson's Get finds it:
// -1 when there is none or src[i] is not an object (i < 0 too). ok is
// false when a key on the way has an escape.
func memberOf(src []byte, i int, k string) (int, bool) {
	if i < 0 || src[i] != '{' {
		return -1, true
	}
	for i++; src[i] != '}'; {
		j := jsonskip.StringEnd(src, i+1)
		key := src[i+1 : j-1]
		if hasBackslash(key) {
			return -1, false
		}
		if string(key) == k {
			return j + 1, true
		}
		i = skipValue(src, j+1)
		if src[i] == ',' {
			i++
		}
	}
	return -1, true
}

// skipValue returns the index after the value at src[i] in compact valid
// JSON.
func skipValue(src []byte, i int) int {
	switch src[i] {
	case '"':
		return jsonskip.StringEnd(src, i+1)
	case '{', '[':
		depth := 0
		for {
			switch src[i] {
			case '"':
				i = jsonskip.StringEnd(src, i+1)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(src) && src[i] != ',' && src[i] != '}' && src[i] != ']' {
		i++
	}
	return i
}
