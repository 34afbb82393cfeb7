// Package timestamp parses the audit event's RFC 3339 timestamps and writes
// them back, by hand and without allocating: time.Parse is slower than needed,
// and fixed 9-digit output keeps every @timestamp the same width, which sorts
// as text and is accepted by Elasticsearch's date and date_nanos types.
package timestamp

// Unix nanoseconds cover 1678-2262; dates outside do not parse.
const (
	minYear = 1678
	maxYear = 2261
)

// Parse parses RFC 3339 ("2006-01-02T15:04:05[.fraction](Z|±hh:mm)",
// 'T', 't' or ' ' as separator, 'Z' or 'z') into Unix nanoseconds. Digits of
// the fraction beyond nanoseconds are ignored.
func Parse(s []byte) (int64, bool) {
	if len(s) < 20 {
		return 0, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	min, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || s[4] != '-' || s[7] != '-' ||
		(s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	if year < minYear || year > maxYear || month < 1 || month > 12 || day < 1 ||
		day > daysIn(month, year) || hour > 23 || min > 59 || sec > 60 {
		return 0, false
	}
	if sec == 60 { // a leap second is the last instant of the minute
		sec = 59
	}
	i := 19
	var frac int64
	if s[i] == '.' || s[i] == ',' {
		i++
		start := i
		scale := int64(100000000)
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			frac += int64(s[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return 0, false
		}
	}
	if i >= len(s) {
		return 0, false
	}
	var offset int64
	switch s[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		if len(s)-i != 6 || s[i+3] != ':' {
			return 0, false
		}
		oh, ok1 := digits(s[i+1 : i+3])
		om, ok2 := digits(s[i+4 : i+6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		offset = int64(oh*3600 + om*60)
		if s[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return 0, false
	}
	if i != len(s) {
		return 0, false
	}
	secs := daysFromCivil(int64(year), int64(month), int64(day))*86400 +
		int64(hour*3600+min*60+sec) - offset
	// Guard the int64 nanosecond range at both ends of the year window.
	const minSec, maxSec = -9223372036, 9223372035
	if secs < minSec || secs > maxSec {
		return 0, false
	}
	return secs*1e9 + frac, true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(month, year int) int {
	switch month {
	case 2:
		if isLeap(year) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is Howard Hinnant's algorithm: days since 1970-01-01.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return
}

// Append appends ns as "2006-01-02T15:04:05.000000000Z".
func Append(dst []byte, ns int64) []byte {
	secs := ns / 1e9
	frac := ns % 1e9
	if frac < 0 {
		frac += 1e9
		secs--
	}
	days := secs / 86400
	rem := secs % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	y, m, d := civilFromDays(days)
	dst = append4(dst, y)
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	dst = append2(dst, d)
	dst = append(dst, 'T')
	dst = append2(dst, rem/3600)
	dst = append(dst, ':')
	dst = append2(dst, rem/60%60)
	dst = append(dst, ':')
	dst = append2(dst, rem%60)
	dst = append(dst, '.')
	var buf [9]byte
	for i := 8; i >= 0; i-- {
		buf[i] = byte('0' + frac%10)
		frac /= 10
	}
	dst = append(dst, buf[:]...)
	return append(dst, 'Z')
}

// AppendText appends ns, which Parse read from text, as
// Append does; when text is already in that form up to the length
// of its fraction (UTC, 'T', 'Z', no leap second: what the API server
// writes), by copying it instead of computing the date again.
func AppendText(dst, text []byte, ns int64) []byte {
	n := len(text)
	if n < 20 || n > 30 || text[10] != 'T' || text[n-1] != 'Z' || text[17] == '6' {
		return Append(dst, ns)
	}
	if n == 20 {
		dst = append(dst, text[:19]...)
		return append(dst, ".000000000Z"...)
	}
	if text[19] != '.' {
		return Append(dst, ns)
	}
	for _, c := range text[20 : n-1] {
		if c < '0' || c > '9' {
			return Append(dst, ns)
		}
	}
	dst = append(dst, text[:n-1]...)
	return append(dst, "000000000Z"[n-21:]...)
}

func append2(dst []byte, v int64) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

func append4(dst []byte, v int64) []byte {
	return append(dst, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}
