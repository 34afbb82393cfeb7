#include "textflag.h"

// SSE2 only: it is the amd64 baseline, so no CPU feature check is needed.
//
// FLAGS turns the 16 bytes in x into 0xff where a byte is '"', '\\', below
// 0x20 or at least 0x80, and 0x00 elsewhere. PCMPGTB compares signed, so
// 0x20 > b catches the control characters and, as negative numbers, every
// byte >= 0x80 in one instruction. SSE2 compares overwrite their
// destination, hence the copies. Needs X8 = '"'s, X9 = '\\'s, X10 = ' 's.
#define FLAGS(x, t1, t2) \
	MOVO    X10, t1; \
	PCMPGTB x, t1;   \
	MOVO    x, t2;   \
	PCMPEQB X8, t2;  \
	PCMPEQB X9, x;   \
	POR     t1, x;   \
	POR     t2, x

// 16 copies each of '"', '\\' and ' '. Loading them measured a little
// faster than building them from immediates on every call.
DATA specialConsts<>+0(SB)/8, $0x2222222222222222
DATA specialConsts<>+8(SB)/8, $0x2222222222222222
DATA specialConsts<>+16(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA specialConsts<>+24(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA specialConsts<>+32(SB)/8, $0x2020202020202020
DATA specialConsts<>+40(SB)/8, $0x2020202020202020
GLOBL specialConsts<>(SB), RODATA|NOPTR, $48

// func IndexSpecial(s []byte) int
TEXT ·IndexSpecial(SB), NOSPLIT, $0-32
	MOVQ  s_base+0(FP), SI
	MOVQ  s_len+8(FP), BX
	MOVOU specialConsts<>+0(SB), X8
	MOVOU specialConsts<>+16(SB), X9
	MOVOU specialConsts<>+32(SB), X10
	CMPQ  BX, $16
	JB    small

	// DI walks the slice; DX is its end. The first 16 bytes get a round of
	// their own: a string scan mostly stops within a few bytes and waits
	// for the answer, and this is the shortest path from load to result.
	MOVQ     SI, DI
	LEAQ     (SI)(BX*1), DX
	MOVOU    (DI), X0
	FLAGS(X0, X1, X2)
	PMOVMSKB X0, AX
	TESTL    AX, AX
	JNZ      found16
	ADDQ     $16, DI

loop64:
	// 64 bytes a round with a single branch: the four blocks' flags are
	// ORed, and split apart only once something is found.
	LEAQ     64(DI), AX
	CMPQ     AX, DX
	JA       loop16
	MOVOU    (DI), X0
	MOVOU    16(DI), X1
	MOVOU    32(DI), X2
	MOVOU    48(DI), X3
	FLAGS(X0, X4, X5)
	FLAGS(X1, X6, X7)
	FLAGS(X2, X11, X12)
	FLAGS(X3, X13, X14)
	MOVO     X0, X4
	POR      X1, X4
	MOVO     X2, X5
	POR      X3, X5
	POR      X5, X4
	PMOVMSKB X4, AX
	TESTL    AX, AX
	JNZ      found64
	ADDQ     $64, DI
	JMP      loop64

found64:
	// One 64-bit mask, block 0 in the low bits, so one BSF and no
	// mispredicted branch on which block it was.
	PMOVMSKB X0, AX
	PMOVMSKB X1, CX
	PMOVMSKB X2, R8
	PMOVMSKB X3, R9
	SHLQ     $16, CX
	SHLQ     $32, R8
	SHLQ     $48, R9
	ORQ      CX, AX
	ORQ      R9, R8
	ORQ      R8, AX
	BSFQ     AX, AX
	SUBQ     SI, DI
	ADDQ     DI, AX
	MOVQ     AX, ret+24(FP)
	RET

loop16:
	LEAQ     16(DI), AX
	CMPQ     AX, DX
	JA       tail
	MOVOU    (DI), X0
	FLAGS(X0, X1, X2)
	PMOVMSKB X0, AX
	TESTL    AX, AX
	JNZ      found16
	ADDQ     $16, DI
	JMP      loop16

tail:
	// Under 16 bytes left of at least 16: test the last 16 rather than
	// read past the end. The bytes tested twice were clean, so the lowest
	// flag is still the first special byte.
	CMPQ     DI, DX
	JEQ      none
	LEAQ     -16(DX), DI
	MOVOU    (DI), X0
	FLAGS(X0, X1, X2)
	PMOVMSKB X0, AX
	TESTL    AX, AX
	JZ       none

found16:
	BSFL AX, AX
	SUBQ SI, DI
	ADDQ DI, AX
	MOVQ AX, ret+24(FP)
	RET

none:
	MOVQ BX, ret+24(FP)
	RET

small:
	// Under 16 bytes: rather than a byte loop, two overlapping loads from
	// the two ends (as small memmoves do), tested at once. Flag j of the
	// low half is byte j; flag j of the high half, for halves of h bytes,
	// is byte len-2h+j. A byte in both halves cannot be the first special
	// byte of the high half: the low half would have flagged it first.
	CMPQ       BX, $8
	JB         small4
	MOVQ       (SI), X0
	MOVQ       -8(SI)(BX*1), X1
	PUNPCKLQDQ X1, X0
	FLAGS(X0, X1, X2)
	PMOVMSKB   X0, AX
	TESTL      AX, AX
	JZ         none
	BSFL       AX, AX
	LEAQ       -16(AX)(BX*1), CX
	CMPL       AX, $8
	CMOVQCC    CX, AX
	MOVQ       AX, ret+24(FP)
	RET

small4:
	CMPQ     BX, $4
	JB       small1
	// Both 4-byte halves in one 8-byte lane. MOVQ zeroes the other lane,
	// whose zero bytes would be flagged as control characters.
	MOVL     (SI), AX
	MOVL     -4(SI)(BX*1), CX
	SHLQ     $32, CX
	ORQ      CX, AX
	MOVQ     AX, X0
	FLAGS(X0, X1, X2)
	PMOVMSKB X0, AX
	ANDL     $0xff, AX
	JZ       none
	BSFL     AX, AX
	LEAQ     -8(AX)(BX*1), CX
	CMPL     AX, $4
	CMOVQCC  CX, AX
	MOVQ     AX, ret+24(FP)
	RET

small1:
	// 0 to 3 bytes: not worth a vector.
	XORL AX, AX

byteloop:
	CMPQ    AX, BX
	JEQ     none
	MOVBLZX (SI)(AX*1), CX
	CMPB    CX, $0x22
	JEQ     found
	CMPB    CX, $0x5c
	JEQ     found
	CMPB    CX, $0x20
	JB      found
	CMPB    CX, $0x80
	JAE     found
	INCQ    AX
	JMP     byteloop

found:
	MOVQ AX, ret+24(FP)
	RET

// The second bytes of the two-byte escapes SkipString takes itself ('"',
// '/', '\\', 'b', 'f', 'n', 'r', 't') as a 256-bit set: word c>>6, bit c&63.
// One load and a BT, where eight compares would be eight branches or a
// chain of flag merges.
DATA escapeSet<>+0(SB)/8, $0x0000800400000000
DATA escapeSet<>+8(SB)/8, $0x0014404410000000
DATA escapeSet<>+16(SB)/8, $0
DATA escapeSet<>+24(SB)/8, $0
GLOBL escapeSet<>(SB), RODATA|NOPTR, $32

// DENSE_MASKS sets R11 and R9 to the masks of the backslashes and quotes
// of the 64 bytes at base, and R14 non-zero if any is a control or
// non-ASCII byte. Needs X8-X10 as FLAGS does.
#define DENSE_MASKS(base) \
	MOVOU    (base), X0;   \
	MOVOU    16(base), X1; \
	MOVOU    32(base), X2; \
	MOVOU    48(base), X3; \
	MOVO     X10, X4;      \
	PCMPGTB  X0, X4;       \
	MOVO     X10, X5;      \
	PCMPGTB  X1, X5;       \
	MOVO     X10, X6;      \
	PCMPGTB  X2, X6;       \
	MOVO     X10, X7;      \
	PCMPGTB  X3, X7;       \
	MOVO     X8, X11;      \
	PCMPEQB  X0, X11;      \
	MOVO     X8, X12;      \
	PCMPEQB  X1, X12;      \
	MOVO     X8, X13;      \
	PCMPEQB  X2, X13;      \
	MOVO     X8, X14;      \
	PCMPEQB  X3, X14;      \
	PCMPEQB  X9, X0;       \
	PCMPEQB  X9, X1;       \
	PCMPEQB  X9, X2;       \
	PCMPEQB  X9, X3;       \
	POR      X5, X4;       \
	POR      X7, X6;       \
	POR      X6, X4;       \
	PMOVMSKB X4, R14;      \
	PMOVMSKB X0, R11;      \
	PMOVMSKB X1, AX;       \
	PMOVMSKB X2, CX;       \
	PMOVMSKB X3, R8;       \
	SHLQ     $16, AX;      \
	SHLQ     $32, CX;      \
	SHLQ     $48, R8;      \
	ORQ      AX, R11;      \
	ORQ      R8, CX;       \
	ORQ      CX, R11;      \
	PMOVMSKB X11, R9;      \
	PMOVMSKB X12, AX;      \
	PMOVMSKB X13, CX;      \
	PMOVMSKB X14, R8;      \
	SHLQ     $16, AX;      \
	SHLQ     $32, CX;      \
	SHLQ     $48, R8;      \
	ORQ      AX, R9;       \
	ORQ      R8, CX;       \
	ORQ      CX, R9

// func SkipString(s []byte) (n int, esc bool)
//
// Every path below builds an exact mask of the special bytes of a block
// (bit j is byte DI+j; no bit for a byte outside s) and hands it to hit,
// which takes the simple escapes out of the mask and either returns or
// moves DI on. Being exact matters: hit trusts a bit to be a special byte
// and only looks at memory to tell a backslash from the rest.
//
// Registers: SI = s, BX = len(s), DX = end of s, DI = block start,
// AX = mask, R8 = the byte at its lowest bit, R13 = block width (16 or
// 64), R10 = esc.
TEXT ·SkipString(SB), NOSPLIT, $0-33
	MOVQ  s_base+0(FP), SI
	MOVQ  s_len+8(FP), BX
	MOVOU specialConsts<>+0(SB), X8
	MOVOU specialConsts<>+16(SB), X9
	MOVOU specialConsts<>+32(SB), X10
	XORL  R10, R10
	MOVQ  SI, DI
	LEAQ  (SI)(BX*1), DX
	MOVL  $16, R13
	CMPQ  BX, $16
	JB    sk_small

	// The first 16 bytes on their own, as in IndexSpecial: most strings
	// are short and end here.
	MOVOU    (SI), X0
	FLAGS(X0, X1, X2)
	PMOVMSKB X0, AX
	TESTL    AX, AX
	JNZ      sk_hit
	ADDQ     $16, DI

sk_loop64:
	LEAQ     64(DI), AX
	CMPQ     AX, DX
	JA       sk_loop16
	MOVOU    (DI), X0
	MOVOU    16(DI), X1
	MOVOU    32(DI), X2
	MOVOU    48(DI), X3
	FLAGS(X0, X4, X5)
	FLAGS(X1, X6, X7)
	FLAGS(X2, X11, X12)
	FLAGS(X3, X13, X14)
	MOVO     X0, X4
	POR      X1, X4
	MOVO     X2, X5
	POR      X3, X5
	POR      X5, X4
	PMOVMSKB X4, AX
	TESTL    AX, AX
	JNZ      sk_found64
	ADDQ     $64, DI
	JMP      sk_loop64

sk_found64:
	// A 64-bit mask: the block's escapes are taken without another load,
	// and after the first hit sees how many special bytes follow, which
	// is how an escaped JSON document finds its way to the dense loop.
	PMOVMSKB X0, AX
	PMOVMSKB X1, CX
	PMOVMSKB X2, R8
	PMOVMSKB X3, R9
	SHLQ     $16, CX
	SHLQ     $32, R8
	SHLQ     $48, R9
	ORQ      CX, AX
	ORQ      R9, R8
	ORQ      R8, AX
	MOVL     $64, R13
	JMP      sk_hit

sk_loop16:
	MOVL     $16, R13
	LEAQ     16(DI), AX
	CMPQ     AX, DX
	JA       sk_tail
	MOVOU    (DI), X0
	FLAGS(X0, X1, X2)
	PMOVMSKB X0, AX
	TESTL    AX, AX
	JNZ      sk_hit
	ADDQ     $16, DI
	JMP      sk_loop16

// The exits sit before the tail, where no path falls into them: after hit,
// as they were, the escape checks put them out of a short jump's reach
// from the tail, and short strings measured a little slower.
sk_found:
	SUBQ SI, R8
	MOVQ R8, n+24(FP)
	MOVB R10, esc+32(FP)
	RET

sk_none:
	MOVQ BX, n+24(FP)
	MOVB R10, esc+32(FP)
	RET

sk_tail:
	// Under 16 bytes left (or none: an escape may end at or past the end
	// of the last block) of at least 16. Test the last 16 and shift out
	// the flags of the bytes before DI: those were scanned already, and
	// one of them may be the second byte of an escape, '"' or '\\'.
	CMPQ     DI, DX
	JAE      sk_none
	LEAQ     -16(DX), R8
	MOVOU    (R8), X0
	FLAGS(X0, X1, X2)
	PMOVMSKB X0, AX
	MOVQ     DI, CX
	SUBQ     R8, CX
	SHRL     CX, AX
	TESTL    AX, AX
	JZ       sk_none

sk_hit:
	// AX != 0. A backslash followed by one of the eight is taken: both
	// bits cleared (the second byte has one only if it is '"' or '\\'),
	// then the next bit of the same block, if any. Anything else is the
	// caller's. Once the block is spent, DI moves to the block after it,
	// or past the escape when that ends beyond the block.
	BSFQ    AX, CX
	LEAQ    (DI)(CX*1), R8
	CMPB    (R8), $0x5c
	JNE     sk_found
	LEAQ    1(R8), R9
	CMPQ    R9, DX
	JAE     sk_found
	MOVBLZX 1(R8), R9
	MOVL    R9, R11
	SHRL    $6, R11
	// The address into a register first: an indexed load cannot be
	// RIP-relative, and the plugin is built c-shared, position independent.
	LEAQ    escapeSet<>(SB), R12
	MOVQ    (R12)(R11*8), R11
	BTQ     R9, R11
	JCC     sk_found
	MOVL    $1, R10
	LEAQ    -1(AX), R11
	ANDQ    R11, AX
	// CX+1 is at most 64, which BTRQ takes as 0: a bit already clear.
	INCL    CX
	BTRQ    CX, AX
	TESTQ   AX, AX
	JZ      sk_spent
	// Three or more special bytes left in the block after this escape and
	// 130 bytes (two blocks) left of s: an escaped document, \" every few
	// bytes, where hit would spend a chain of dependent instructions on
	// each escape; the dense loop takes over after the escape. Below that,
	// at the \"...\" pairs of an RBAC reason or near the end of a string,
	// where the dense loop's latency goes unpaid by its throughput, hit
	// measured faster.
	LEAQ    130(R8), R11
	CMPQ    R11, DX
	JA      sk_hit
	LEAQ    -1(AX), R11
	ANDQ    AX, R11
	LEAQ    -1(R11), R9
	TESTQ   R9, R11
	JZ      sk_hit
	LEAQ    2(R8), DI
	XORL    R12, R12
	JMP     sk_dense

sk_spent:
	// A branch and not a CMOV: with a CMOV the next block's address waits
	// on this block's loads, flags and BSF, so blocks no longer overlap
	// (8 GB/s on a PEM bundle instead of 25). A predicted branch lets the
	// next loads start at once; the escape rarely ends past its block.
	ADDQ    $2, R8
	ADDQ    R13, DI
	CMPQ    R8, DI
	JHI     sk_past
	JMP     sk_loop64

sk_past:
	MOVQ R8, DI
	JMP  sk_loop64

sk_small:
	// Under 16 bytes: the two overlapping loads of IndexSpecial, but the
	// two halves' flags are merged into one mask by position (the half
	// of h bytes at the end has its flag j at bit len-h+j), since hit
	// needs every special byte, not only the first. A byte in both halves
	// gets the same flag twice. A block that short ends the string, so
	// when hit spends it DI moves past DX and the scan ends.
	CMPQ       BX, $8
	JB         sk_small4
	MOVQ       (SI), X0
	MOVQ       -8(SI)(BX*1), X1
	PUNPCKLQDQ X1, X0
	FLAGS(X0, X1, X2)
	PMOVMSKB   X0, AX
	MOVL       AX, R8
	SHRL       $8, R8
	ANDL       $0xff, AX
	LEAQ       -8(BX), CX
	SHLL       CX, R8
	ORL        R8, AX
	JZ         sk_none
	JMP        sk_hit

sk_small4:
	CMPQ     BX, $4
	JB       sk_small1
	// The upper lane is zeros, which would read as control characters:
	// only the low 8 flags count.
	MOVL     (SI), AX
	MOVL     -4(SI)(BX*1), CX
	SHLQ     $32, CX
	ORQ      CX, AX
	MOVQ     AX, X0
	FLAGS(X0, X1, X2)
	PMOVMSKB X0, AX
	MOVL     AX, R8
	SHRL     $4, R8
	ANDL     $0xf, R8
	ANDL     $0xf, AX
	LEAQ     -4(BX), CX
	SHLL     CX, R8
	ORL      R8, AX
	JZ       sk_none
	JMP      sk_hit

sk_small1:
	// 0 to 3 bytes: bytes 0, len/2 and len-1 into lanes 0, 1 and 2 are
	// bytes 0, 1 and 2 for len 3; for len 1 and 2 the lanes past the end
	// repeat a byte and are masked off with the zero lanes.
	TESTQ    BX, BX
	JZ       sk_none
	MOVBLZX  (SI), AX
	MOVQ     BX, CX
	SHRQ     $1, CX
	MOVBLZX  (SI)(CX*1), CX
	SHLL     $8, CX
	ORL      CX, AX
	MOVBLZX  -1(SI)(BX*1), CX
	SHLL     $16, CX
	ORL      CX, AX
	MOVQ     AX, X0
	FLAGS(X0, X1, X2)
	PMOVMSKB X0, AX
	MOVL     $1, R8
	MOVQ     BX, CX
	SHLL     CX, R8
	DECL     R8
	ANDL     R8, AX
	JZ       sk_none
	JMP      sk_hit

// The dense loop, kept out of the way of the paths above, classifies a
// 64-byte block at R13 at once, as simdjson does: masks of its quotes (R9)
// and backslashes (R11), from which a carry chain gives the escaped bytes,
// those after an odd run of backslashes.
// An unescaped quote stops the scan; an escaped byte other than '"' and
// '\\' is looked up, and stops it at its backslash unless allowed. A
// control or non-ASCII byte, rare here, sends the block to the same slow
// look. R12 is the carry in, a bit set where the block's first byte to
// scan is escaped (by the last byte scanned). esc is already set: the loop
// starts after an escape.
//
// The block is DI's, or with under 64 bytes left the last 64 bytes of s,
// the bytes before DI cleared from the masks and the carry moved up to
// DI's bit; then the carry out is that of the last byte of s. No byte
// before DI can be a control or non-ASCII byte: it would have stopped the
// scan. Blocks go on while they hold a backslash; a block without one, or
// a block that held one escape and had to look it up (a PEM bundle's \n
// after an escaped document), hands over to loop64 at the state the loop
// knows: DI with no carry, the backslash at DI-1 with one (which hit takes
// again, and checks against the end of s).
sk_dense:
	MOVQ DI, R13
	LEAQ 64(DI), AX
	CMPQ AX, DX
	JA   sk_dense_tail
	DENSE_MASKS(R13)

sk_dense_scan:
	// simdjson's escape scanner (json_escape_scanner.h): the parity of
	// every backslash run at once, from one subtraction whose borrow runs
	// along each run, instead of a step per escape. With p the backslashes
	// that can start an escape (all but an escaped first byte),
	// ((p<<1 | odd) - p) ^ odd holds each escape's backslash and the byte
	// after an odd run; xor the backslashes and the carry leaves the
	// escaped bytes.
	MOVQ R12, CX
	NOTQ CX
	ANDQ R11, CX
	LEAQ (CX)(CX*1), R8
	MOVQ $0xaaaaaaaaaaaaaaaa, AX
	ORQ  AX, R8
	SUBQ CX, R8
	XORQ AX, R8
	MOVQ R11, CX
	ORQ  R12, CX
	XORQ R8, CX
	ANDQ R11, R8
	SHRQ $63, R8

	// CX = escaped bytes, R8 = the carry out. AX = unescaped quotes, R9 =
	// escaped bytes that are neither '"' nor '\\'.
	MOVQ CX, AX
	NOTQ AX
	ANDQ R9, AX
	ORQ  R11, R9
	NOTQ R9
	ANDQ CX, R9
	MOVQ AX, CX
	ORQ  R9, CX
	ORQ  R14, CX
	JNZ  sk_dense_look

sk_dense_next:
	MOVQ  R8, R12
	LEAQ  64(R13), DI
	TESTQ R11, R11
	JNZ   sk_dense

sk_dense_out:
	SUBQ R12, DI
	JMP  sk_loop64

sk_dense_tail:
	// Under 64 bytes left: the last 64 of s instead, which it holds (the
	// loop starts with 128 left), so that strings end in the loop and not
	// in loop16 and a rescan.
	CMPQ DI, DX
	JAE  sk_dense_end
	LEAQ -64(DX), R13
	DENSE_MASKS(R13)
	MOVQ DI, CX
	SUBQ R13, CX
	SHLQ CX, R12
	MOVQ $-1, AX
	SHLQ CX, AX
	ANDQ AX, R11
	ANDQ AX, R9
	JMP  sk_dense_scan

sk_dense_end:
	// The last block spent: with a carry, s ends in a backslash.
	TESTQ R12, R12
	JZ    sk_none
	LEAQ  -1(DX), R8
	JMP   sk_found

sk_dense_look:
	// Control and non-ASCII bytes join the quotes as stops. An escaped one
	// is also in R9, where it fails the lookup and stops the scan a byte
	// earlier, at its backslash.
	TESTL    R14, R14
	JZ       sk_dense_escaped
	MOVOU    (R13), X0
	MOVOU    16(R13), X1
	MOVOU    32(R13), X2
	MOVOU    48(R13), X3
	MOVO     X10, X4
	PCMPGTB  X0, X4
	MOVO     X10, X5
	PCMPGTB  X1, X5
	MOVO     X10, X6
	PCMPGTB  X2, X6
	MOVO     X10, X7
	PCMPGTB  X3, X7
	PMOVMSKB X4, CX
	ORQ      CX, AX
	PMOVMSKB X5, CX
	SHLQ     $16, CX
	ORQ      CX, AX
	PMOVMSKB X6, CX
	SHLQ     $32, CX
	ORQ      CX, AX
	PMOVMSKB X7, CX
	SHLQ     $48, CX
	ORQ      CX, AX

sk_dense_escaped:
	// The escaped bytes of R9 in order, each against the set hit uses.
	// R12 goes on the table address: sk_dense_next sets the carry from R8.
	TESTQ   R9, R9
	JZ      sk_dense_stop
	BSFQ    R9, R14
	MOVBLZX (R13)(R14*1), CX
	MOVL    CX, DI
	SHRL    $6, DI
	LEAQ    escapeSet<>(SB), R12
	MOVQ    (R12)(DI*8), DI
	BTQ     CX, DI
	JCC     sk_dense_bad
	LEAQ    -1(R9), CX
	ANDQ    CX, R9
	JMP     sk_dense_escaped

sk_dense_stop:
	// All escapes valid: the first stop, if any. Else, after a block with
	// a single escape that needed the lookup (a PEM bundle after an
	// escaped document), loop64 and hit are the faster road.
	TESTQ AX, AX
	JNZ   sk_dense_found
	MOVQ  R8, R12
	LEAQ  64(R13), DI
	LEAQ  -1(R11), CX
	TESTQ CX, R11
	JNZ   sk_dense
	JMP   sk_dense_out

sk_dense_bad:
	// R14 is the first bad escaped byte; its backslash at R14-1 stops the
	// scan unless a quote or control byte comes before it. At bit 0 the
	// backslash is the last byte of the block before, before all of them.
	LEAQ  -1(R13), R8
	TESTQ R14, R14
	JZ    sk_found
	DECQ  R14
	BTSQ  R14, AX

sk_dense_found:
	BSFQ AX, AX
	LEAQ (R13)(AX*1), R8
	JMP  sk_found
