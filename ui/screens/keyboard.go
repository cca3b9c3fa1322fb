package screens

import (
	"strings"
	"unicode"

	"periph.io/x/conn/v3/ir"
)

// The on-screen keyboard: four rows of ten characters and a row of wide
// keys, driven by the arrows and OK only.
const (
	kbCols = 10
	kbRows = 5 // four character rows and the special row
	// MaxPassphrase is the longest text the keyboard takes (64 hex digits).
	MaxPassphrase = 64
)

// Character rows of the two pages; the symbols page holds every printable
// ASCII symbol the letters page does not.
var (
	kbLetters = [4]string{"abcdefghij", "klmnopqrst", "uvwxyz-_.@", "1234567890"}
	kbSymbols = [4]string{"!\"#$%&'()*", "+,/:;<=>?[", "\\]^`{|}~-.", "1234567890"}
)

// KbKey names a key of the special row.
type KbKey int

const (
	KbShift KbKey = iota
	KbSymbols
	KbSpace
	KbBackspace
	KbShow
	KbDone
)

// kbSpecial is the special row: each key's first column and width.
var kbSpecial = []struct {
	key       KbKey
	col, cols int
}{
	{KbShift, 0, 1}, {KbSymbols, 1, 1}, {KbSpace, 2, 3}, {KbBackspace, 5, 1}, {KbShow, 6, 2}, {KbDone, 8, 2},
}

// Keyboard is the passphrase keyboard's state. Shift stays on until
// pressed again (passphrases often have several capitals).
type Keyboard struct {
	Text    string
	Row     int // 0..3 characters, 4 the special row
	Col     int // 0..9; on the special row the first column of the focused key
	Shift   bool
	Symbols bool
	Show    bool // the passphrase is shown as typed, not as dots
}

// specialAt returns the index in kbSpecial of the key covering col.
func specialAt(col int) int {
	for i, k := range kbSpecial {
		if col >= k.col && col < k.col+k.cols {
			return i
		}
	}
	return len(kbSpecial) - 1
}

// Char returns the character key at row r, column c on the current page
// (shift applied).
func (k *Keyboard) Char(r, c int) rune {
	rows := kbLetters
	if k.Symbols {
		rows = kbSymbols
	}
	ch := rune(rows[r][c])
	if k.Shift && !k.Symbols {
		ch = unicode.ToUpper(ch)
	}
	return ch
}

// Focused returns the focused special key, ok false on a character key.
func (k *Keyboard) Focused() (KbKey, bool) {
	if k.Row < 4 {
		return 0, false
	}
	return kbSpecial[specialAt(k.Col)].key, true
}

// Key moves the focus or presses the focused key. It returns true when
// Done was pressed; the caller checks the text.
func (k *Keyboard) Key(key ir.Key) (done bool) {
	switch key {
	case ir.KEY_UP:
		k.Row = max(k.Row-1, 0)
	case ir.KEY_DOWN:
		k.Row = min(k.Row+1, kbRows-1)
		if k.Row == 4 {
			k.Col = kbSpecial[specialAt(k.Col)].col
		}
	case ir.KEY_LEFT:
		if k.Row == 4 {
			k.Col = kbSpecial[max(specialAt(k.Col)-1, 0)].col
		} else {
			k.Col = max(k.Col-1, 0)
		}
	case ir.KEY_RIGHT:
		if k.Row == 4 {
			k.Col = kbSpecial[min(specialAt(k.Col)+1, len(kbSpecial)-1)].col
		} else {
			k.Col = min(k.Col+1, kbCols-1)
		}
	case ir.KEY_BACKSPACE: // a USB keyboard's Backspace deletes, as the key does
		k.backspace()
	case ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT:
		return k.press()
	}
	return false
}

func (k *Keyboard) backspace() {
	if r := []rune(k.Text); len(r) > 0 {
		k.Text = string(r[:len(r)-1])
	}
}

func (k *Keyboard) press() bool {
	sk, special := k.Focused()
	if !special {
		k.typeRune(k.Char(k.Row, k.Col))
		return false
	}
	switch sk {
	case KbShift:
		k.Shift = !k.Shift
	case KbSymbols:
		k.Symbols = !k.Symbols
	case KbSpace:
		k.typeRune(' ')
	case KbBackspace:
		k.backspace()
	case KbShow:
		k.Show = !k.Show
	case KbDone:
		return true
	}
	return false
}

func (k *Keyboard) typeRune(r rune) {
	if len(k.Text) < MaxPassphrase {
		k.Text += string(r)
	}
}

// Shown is the text as the field displays it: dots unless Show is on.
func (k *Keyboard) Shown() string {
	if k.Show {
		return k.Text
	}
	return strings.Repeat("●", len([]rune(k.Text)))
}

// PassphraseProblem says what is wrong with p as a WPA passphrase (8..63
// printable ASCII characters, or 64 hex digits), "" when it is fine. It is
// a message id so the screen can say it in the household's language.
func passphraseProblem(p string) (msg, bool) {
	n := len(p)
	for _, r := range p {
		if r < ' ' || r > '~' {
			return msgPassTooLong, false // the keyboard types ASCII only; cannot happen through it
		}
	}
	switch {
	case n < 8:
		return msgPassTooShort, false
	case n == 64:
		for _, r := range p {
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return msgPassTooLong, false
			}
		}
	case n > 63:
		return msgPassTooLong, false
	}
	return 0, true
}
