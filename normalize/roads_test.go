package normalize

import (
	"bytes"
	"testing"
)

// The roads, as tests take them. Production has one entry, Normalize, which takes the
// direct road when it can (direct.go) and the general one otherwise (split.go); the
// tests hold each road to the other, so they need to take the general road on purpose.
// That is done here, from outside the Normalizer: nothing in it is a test switch.

// normalizer is what a test drives: a Normalizer, or one whose records all take the
// general road.
type normalizer interface {
	Normalize(record []byte, recordTime int64) []Doc
	Dropped() int
}

// generalRoad is n with the direct road closed: Normalize sends every record down the
// general road (fastjson), the reference the direct road is held to.
type generalRoad struct{ *Normalizer }

// Normalize is Normalizer.Normalize without the direct road.
func (g generalRoad) Normalize(record []byte, recordTime int64) []Doc {
	n := g.Normalizer
	n.reset(recordTime)
	n.tookDirect = false
	n.split(record)
	return n.collect()
}

// road returns n taking the direct road when it can (direct), or the general road only.
func road(n *Normalizer, direct bool) normalizer {
	if direct {
		return n
	}
	return generalRoad{n}
}

// copyEveryObject makes the direct road of n copy every object member (no srcObject).
func copyEveryObject(n *Normalizer) { n.d.copyEvery = true }

// TestImagesTextAgrees holds the container images read from a scanned body's text
// (collectImagesText) to those read from its tree (collectImages), on every record of
// the fixtures, the secret events, the fuzz corpus and the direct road's seeds, on both
// roads: after Normalize the Normalizer still holds the record's last event and its
// bodies, so both readings are taken of the same event.
func TestImagesTextAgrees(t *testing.T) {
	corpus := append(fuzzCorpus(t), secretLines(t)...)
	corpus = append(corpus, directSeeds...)
	corpus = append(corpus, realLines(t)...)
	compared, withImages := 0, 0
	for _, o := range []Options{{}, {Redact: true}, {Format: Raw}} {
		for _, direct := range []bool{true, false} {
			n := New(o)
			r := road(n, direct)
			for _, rec := range corpus {
				if docs := r.Normalize(rec, testRecordTime); len(docs) == 0 || docs[len(docs)-1].Error {
					continue
				}
				e := &n.ev
				if e.req < 0 || !n.collectImagesText(e) {
					continue // no scanned body, or one the text reading leaves to the tree
				}
				text := make([][]byte, len(n.doc.imgs))
				for i, img := range n.doc.imgs {
					text[i] = bytes.Clone(img)
				}
				n.collectImages(n.requestTree(e))
				if len(text) != len(n.doc.imgs) {
					t.Fatalf("direct=%v: %d images from the text, %d from the tree\nrecord %.300s", direct, len(text), len(n.doc.imgs), rec)
				}
				for i := range text {
					if !bytes.Equal(text[i], n.doc.imgs[i]) {
						t.Fatalf("direct=%v: image %d is %q from the text, %q from the tree\nrecord %.300s", direct, i, text[i], n.doc.imgs[i], rec)
					}
				}
				compared++
				if len(text) > 0 {
					withImages++
				}
			}
		}
	}
	if withImages < 10 {
		t.Fatalf("only %d of %d compared events name images: the corpus no longer exercises the text reading", withImages, compared)
	}
	t.Logf("%d events compared, %d naming images", compared, withImages)
}
