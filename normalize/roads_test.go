package normalize

// The helpers that set a Normalizer's roadSwitches: only tests take a record down a
// slower road, to hold its output to the fast road's.

// generalRoad sends every record of n down the general road (fastjson, images read from
// the tree), and returns n.
func generalRoad(n *Normalizer) *Normalizer {
	n.test.noDirect, n.test.noImgText = true, true
	return n
}

// allowDirect lets n take the direct road (on) or sends every record down the general
// road (off), images still read from text.
func allowDirect(n *Normalizer, on bool) { n.test.noDirect = !on }

// copyEveryObject makes the direct road of n copy every object member (no srcObject).
func copyEveryObject(n *Normalizer) { n.test.noSrcCopy = true }
