package chunktest

import (
	"bytes"
	"testing"
	"time"
)

var t0 = time.Unix(0x6553f100, 5)

func TestRawLinesBytes(t *testing.T) {
	got := RawLines([][]byte{[]byte("ab")}, "log", t0)
	want := []byte{
		0x92,       // entry
		0x92,       // [timestamp, metadata]
		0xd7, 0x00, // fixext8, type 0
		0x65, 0x53, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x05,
		0x80, // {}
		0x81, 0xa3, 'l', 'o', 'g', 0xa2, 'a', 'b',
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got  % x\nwant % x", got, want)
	}
	v1 := V1RawLines([][]byte{[]byte("ab")}, "log", t0)
	if want := append([]byte{0x92}, want[2:12]...); !bytes.Equal(v1[:11], want) || len(v1) != len(got)-2 {
		t.Errorf("v1: got % x", v1)
	}
}

func TestMapsDeterministic(t *testing.T) {
	rec := map[string]any{"b": 1, "a": "x", "c": []any{nil, true}, "d": map[string]any{"z": 1.5, "y": []byte("q")}}
	first := Maps([]map[string]any{rec}, t0)
	for range 20 {
		if !bytes.Equal(Maps([]map[string]any{rec}, t0), first) {
			t.Fatal("Maps output depends on map iteration order")
		}
	}
	if i, j := bytes.Index(first, []byte("\xa1a")), bytes.Index(first, []byte("\xa1b")); i < 0 || j < i {
		t.Errorf("keys not sorted: % x", first)
	}
}

func TestWidths(t *testing.T) {
	tests := []struct {
		got  []byte
		want []byte
	}{
		{AppendArrayHeader(nil, 2, Fix), []byte{0x92}},
		{AppendArrayHeader(nil, 2, W16), []byte{0xdc, 0, 2}},
		{AppendArrayHeader(nil, 2, W32), []byte{0xdd, 0, 0, 0, 2}},
		{AppendMapHeader(nil, 1, W8), []byte{0x81}},
		{AppendMapHeader(nil, 1, W16), []byte{0xde, 0, 1}},
		{AppendMapHeader(nil, 1, W32), []byte{0xdf, 0, 0, 0, 1}},
		{AppendStr(nil, []byte("a"), Fix), []byte{0xa1, 'a'}},
		{AppendStr(nil, []byte("a"), W8), []byte{0xd9, 1, 'a'}},
		{AppendStr(nil, []byte("a"), W16), []byte{0xda, 0, 1, 'a'}},
		{AppendStr(nil, []byte("a"), W32), []byte{0xdb, 0, 0, 0, 1, 'a'}},
		{AppendBin(nil, []byte("a"), Fix), []byte{0xc4, 1, 'a'}},
		{AppendBin(nil, []byte("a"), W16), []byte{0xc5, 0, 1, 'a'}},
		{AppendBin(nil, []byte("a"), W32), []byte{0xc6, 0, 0, 0, 1, 'a'}},
		{AppendTime(nil, t0, EventTimeExt8)[:3], []byte{0xc7, 8, 0}},
		{AppendTime(nil, t0, EventTimeExt32)[:6], []byte{0xc9, 0, 0, 0, 8, 0}},
		{AppendTime(nil, t0, Uint64Seconds)[:1], []byte{0xcf}},
		{AppendTime(nil, t0, NilTime), []byte{0xc0}},
	}
	for i, tt := range tests {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("%d: got % x, want % x", i, tt.got, tt.want)
		}
	}
}

func TestPanicsOnMisuse(t *testing.T) {
	for name, f := range map[string]func(){
		"fix header too small": func() { AppendArrayHeader(nil, 16, Fix) },
		"fixstr too small":     func() { AppendStr(nil, make([]byte, 32), Fix) },
		"unsupported type":     func() { AppendValue(nil, struct{}{}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
