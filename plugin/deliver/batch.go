package deliver

// nextBatch returns the end of the batch that starts at document start: as many
// documents as fit in maxBytes (framing included) and maxEvents. The first document is
// always taken, even when it alone is larger than maxBytes: it is sent alone and the
// intake decides (413 puts it in the dead-letter file). The cut depends only on the
// documents and the limits, which is what makes the idempotence memory work.
func nextBatch(fr framing, docs *Docs, start, maxBytes, maxEvents int) int {
	size := fr.envelopeLen()
	end := start
	for end < docs.Len() && end-start < maxEvents {
		n := fr.docLen(docs.Doc(end), end == start)
		if end > start && size+n > maxBytes {
			break
		}
		size += n
		end++
	}
	return end
}

// frame appends the body for documents [i, j) to dst.
func frame(dst []byte, fr framing, docs *Docs, i, j int) []byte {
	dst = fr.appendOpen(dst)
	for k := i; k < j; k++ {
		dst = fr.appendDoc(dst, docs.Doc(k), k == i)
	}
	return fr.appendClose(dst)
}
