package deliver

// nextBatch returns the end of the batch that starts at document start: as many
// documents as fit in maxBytes (framing included) and maxEvents, stopping before a
// document larger than maxDoc (0 = no such cap) or one refuse names a reason for (nil =
// none), which is set aside on its own. The
// first document is always taken, even when it alone is larger than maxBytes: it is sent
// alone and the intake decides (413 puts it in the dead-letter file). The cut depends
// only on the documents and the limits, which is what makes the idempotence memory work.
func nextBatch(fr Framing, docs *Docs, start, maxBytes, maxEvents, maxDoc int, refuse func(*Docs, int) string) int {
	size := fr.EnvelopeLen()
	end := start
	for end < docs.Len() && end-start < maxEvents {
		n := fr.DocLen(docs, end, end == start)
		if end > start && (size+n > maxBytes || (maxDoc > 0 && n > maxDoc) || (refuse != nil && refuse(docs, end) != "")) {
			break
		}
		size += n
		end++
	}
	return end
}

// frame appends the body for the documents of sel, in that order, to dst.
func frame(dst []byte, fr Framing, docs *Docs, sel []int32) []byte {
	dst = fr.AppendOpen(dst)
	for p, k := range sel {
		dst = fr.AppendDoc(dst, docs, int(k), p == 0)
	}
	return fr.AppendClose(dst)
}
