package exchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	base64 "github.com/segmentio/asm/base64" // SIMD: 10-20x encoding/base64 on 1 MB bodies
)

// decodeEdocAnswer reads a getEdoc answer — {"status":…,"ErrorCode":…,"ErrorDesc":…,
// "data":"<base64 of the document>"} — in one pass: the document is the answer's bulk, and
// encoding/json would scan it three times (validate, scan, unquote) before base64 decoded it.
// The data string may carry line breaks and escaped slashes (\/, \n, \r…), as encoders write
// them; any other field is decoded by encoding/json.
func decodeEdocAnswer(b []byte) (a Answer, data []byte, hasData bool, err error) {
	p := edocScanner{b: b}
	p.ws()
	if !p.eat('{') {
		return a, nil, false, errNotJSON
	}
	for first := true; ; first = false {
		p.ws()
		if p.eat('}') {
			break
		}
		if !first && (!p.eat(',') || !p.wsThen()) {
			return a, nil, false, errNotJSON
		}
		key, err := p.str()
		if err != nil {
			return a, nil, false, err
		}
		p.ws()
		if !p.eat(':') {
			return a, nil, false, errNotJSON
		}
		p.ws()
		start := p.i
		if key == "data" && p.peek() == '"' {
			if data, err = p.base64(); err != nil {
				return a, nil, false, err
			}
			hasData = true
			continue
		}
		if err := p.skipValue(); err != nil {
			return a, nil, false, err
		}
		var f *Flex
		switch key {
		case "status":
			f = &a.Status
		case "ErrorCode":
			f = &a.ErrorCode
		case "ErrorDesc":
			f = &a.ErrorDesc
		}
		if f != nil {
			if err := json.Unmarshal(b[start:p.i], f); err != nil {
				return a, nil, false, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	p.ws()
	if p.i != len(b) {
		return a, nil, false, errNotJSON
	}
	return a, data, hasData, nil
}

var errNotJSON = errors.New("not a JSON object")

type edocScanner struct {
	b []byte
	i int
}

func (p *edocScanner) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *edocScanner) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *edocScanner) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

// wsThen skips white space and reports whether something follows.
func (p *edocScanner) wsThen() bool { p.ws(); return p.i < len(p.b) }

// strEnd returns the index of the quote that ends the string starting at p.i (a quote).
func (p *edocScanner) strEnd() (int, error) {
	for j := p.i + 1; j < len(p.b); {
		q := bytes.IndexByte(p.b[j:], '"')
		if q < 0 {
			break
		}
		bs := bytes.IndexByte(p.b[j:j+q], '\\')
		if bs < 0 {
			return j + q, nil
		}
		j += bs + 2 // an escape and the character it escapes
	}
	return 0, errors.New("an unterminated string")
}

// str reads a string (a key), unescaped by encoding/json when it has escapes.
func (p *edocScanner) str() (string, error) {
	if p.peek() != '"' {
		return "", errNotJSON
	}
	end, err := p.strEnd()
	if err != nil {
		return "", err
	}
	raw := p.b[p.i : end+1]
	p.i = end + 1
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	err = json.Unmarshal(raw, &s)
	return s, err
}

// base64 decodes the data string: plain base64, or with escaped slashes and line breaks.
func (p *edocScanner) base64() ([]byte, error) {
	end, err := p.strEnd()
	if err != nil {
		return nil, err
	}
	raw := p.b[p.i+1 : end]
	p.i = end + 1
	if bytes.IndexByte(raw, '\\') >= 0 {
		clean := make([]byte, 0, len(raw))
		for j := 0; j < len(raw); j++ {
			c := raw[j]
			if c != '\\' {
				clean = append(clean, c)
				continue
			}
			j++
			if j == len(raw) {
				return nil, errors.New("the data ends inside an escape")
			}
			switch raw[j] {
			case '/':
				clean = append(clean, '/')
			case 'n', 'r', 't':
			case 'u':
				if j+4 >= len(raw) {
					return nil, errors.New("a bad \\u escape in the data")
				}
				r, err := strconv.ParseUint(string(raw[j+1:j+5]), 16, 16)
				if err != nil || r >= 0x80 {
					return nil, errors.New("a bad \\u escape in the data")
				}
				clean = append(clean, byte(r))
				j += 4
			default:
				return nil, fmt.Errorf("the escape \\%c in the data is not base64", raw[j])
			}
		}
		raw = clean
	}
	enc := base64.StdEncoding
	if len(raw)%4 != 0 {
		enc, raw = base64.RawStdEncoding, bytes.TrimRight(raw, "=")
	}
	out := make([]byte, enc.DecodedLen(len(raw)))
	n, err := enc.Decode(out, raw)
	return out[:n], err
}

// skipValue passes any JSON value, checking its shape only as far as finding its end.
func (p *edocScanner) skipValue() error {
	switch c := p.peek(); {
	case c == '"':
		end, err := p.strEnd()
		p.i = end + 1
		return err
	case c == '{' || c == '[':
		depth := 0
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case '"':
				end, err := p.strEnd()
				if err != nil {
					return err
				}
				p.i = end
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.i++
					return nil
				}
			}
			p.i++
		}
		return errors.New("an unterminated object or array")
	default:
		start := p.i
		for p.i < len(p.b) && !bytes.ContainsRune([]byte(",}] \t\r\n"), rune(p.b[p.i])) {
			p.i++
		}
		if p.i == start {
			return errNotJSON
		}
		return nil
	}
}
