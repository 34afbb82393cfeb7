package jsonw

import (
	"math"
	"strconv"
	"testing"
)

func TestIntLen(t *testing.T) {
	for _, v := range []int64{0, 1, 9, 10, 99, 100, -1, -9, -10, 1700000000123, math.MaxInt64, math.MinInt64, math.MinInt64 + 1} {
		if got, want := IntLen(v), len(strconv.FormatInt(v, 10)); got != want {
			t.Errorf("IntLen(%d) = %d, want %d", v, got, want)
		}
	}
}
