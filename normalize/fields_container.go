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

// collectImagesText is collectImages for a scanned body, read from its
// sanitized text (compact, valid JSON) without building a tree: only the
// few members on the way are looked at, the rest is skipped. It reports
// false, having collected nothing, when the tree must be read instead: a
// body given as a tree, or a key or image with an escape on the way (rare,
// and where comparing text is not comparing values).
func (n *Normalizer) collectImagesText(e *event) bool {
	n.imgs = n.imgs[:0]
	if e.req < 0 || n.noImgText {
		return false
	}
	if !n.keepReq {
		return true
	}
	b := n.bodyAt(e.req)
	if b == nil || !b.hasSpec || b.over {
		return true
	}
	src := n.bodyBuf[b.start:b.end]
	spec, ok := memberOf(src, 0, "spec")
	if !ok {
		return n.imgsFallback()
	}
	if !n.podSpecImagesText(src, spec) {
		return n.imgsFallback()
	}
	for _, path := range [...][]string{{"template", "spec"}, {"jobTemplate", "spec", "template", "spec"}} {
		v := spec
		for _, k := range path {
			if v, ok = memberOf(src, v, k); !ok {
				return n.imgsFallback()
			}
		}
		if !n.podSpecImagesText(src, v) {
			return n.imgsFallback()
		}
	}
	return true
}

func (n *Normalizer) imgsFallback() bool {
	n.imgs = n.imgs[:0]
	return false
}

func (n *Normalizer) podSpecImagesText(src []byte, spec int) bool {
	for _, k := range [...]string{"containers", "initContainers", "ephemeralContainers"} {
		list, ok := memberOf(src, spec, k)
		if !ok {
			return false
		}
		if list < 0 || src[list] != '[' {
			continue
		}
		for i := list + 1; src[i] != ']'; {
			if src[i] == '{' {
				img, ok := memberOf(src, i, "image")
				if !ok {
					return false
				}
				if img >= 0 && src[img] == '"' {
					j := stringEnd(src, img+1)
					v := src[img+1 : j-1]
					if hasBackslash(v) {
						return false
					}
					n.imgs = appendUnique(n.imgs, v)
				}
			}
			i = skipValue(src, i)
			if src[i] == ',' {
				i++
			}
		}
	}
	return true
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
		j := stringEnd(src, i+1)
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
		return stringEnd(src, i+1)
	case '{', '[':
		depth := 0
		for {
			switch src[i] {
			case '"':
				i = stringEnd(src, i+1)
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
