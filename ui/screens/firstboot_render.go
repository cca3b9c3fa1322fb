package screens

import (
	"fmt"
	"strings"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/ui/qr"
)

// First-boot geometry, in overlay pixels. Everything stays inside the
// action-safe area (5%: 96 px left and right, 54 px top and bottom), and
// no text is smaller than 24 px.
const (
	setupTitleY = 150
	setupBodyY  = 320
	setupHintY  = Height - 80
	setupRowH   = 76
	kbKeyW      = 100
	kbKeyH      = 76
	kbPitchX    = 112
	kbPitchY    = 88
	kbX         = (Width - (kbCols*kbPitchX - (kbPitchX - kbKeyW))) / 2
	kbY         = 420
	qrCardSize  = 520
	setupRight  = Width - marginX // the home screen reaches 1856; these pages keep to the safe area
	qrCardX     = setupRight - qrCardSize
	qrCardY     = 200
)

func renderSetup(m *Model, now time.Time) string {
	var b assBuilder
	s := &m.Setup
	lang := m.Lang()
	if s.Single {
		b.text(marginX, 60, 7, 44, colWhite, true, "Settings")
	} else {
		b.text(marginX, 60, 7, 44, colWhite, true, tr(lang, msgWelcome))
		renderSteps(&b, m)
	}
	hint := ""
	switch s.Step {
	case StepLanguage:
		hint = renderLanguages(&b, m)
	case StepTimeZone:
		hint = renderZones(&b, m, now)
	case StepNetworks:
		hint = renderNetworks(&b, m)
	case StepPassphrase:
		hint = renderKeyboard(&b, m)
	case StepJoining:
		hint = renderJoining(&b, m)
	case StepCable:
		b.text(marginX, setupTitleY, 7, 56, colWhite, true, tr(lang, msgCable))
		for i, l := range wrap(tr(lang, msgCableHint), 1400, 32) {
			b.text(marginX, setupBodyY+i*48, 7, 32, colText, false, l)
		}
	case StepPhone:
		hint = renderPhone(&b, m, now)
	}
	if hint != "" {
		b.text(marginX, setupHintY, 4, 26, colDim, false, hint)
	}
	return b.String()
}

// renderSteps shows where the family is in the first-boot screens, top right.
func renderSteps(b *assBuilder, m *Model) {
	lang := m.Lang()
	cur := map[SetupStep]int{StepLanguage: 0, StepTimeZone: 1, StepNetworks: 2, StepPassphrase: 2, StepJoining: 2, StepCable: 2, StepPhone: 3}[m.Setup.Step]
	names := []string{tr(lang, msgStepLanguage), tr(lang, msgStepTimeZone), tr(lang, msgStepWifi), tr(lang, msgStepPhone)}
	x := setupRight
	for i := len(names) - 1; i >= 0; i-- {
		label := fmt.Sprintf("%d  %s", i+1, names[i])
		col, bold := colDim, false
		switch {
		case i == cur:
			col, bold = colWhite, true
		case i < cur:
			col = colGreen
			label = "✓  " + names[i]
		}
		b.text(x, 82, 6, 26, col, bold, label)
		x -= textWidth(label, 26) + 56
	}
}

// listItem draws one row of a choice list: focused rows are white pills.
func listItem(b *assBuilder, x, y, w int, focused, selected bool, label string, size int) {
	switch {
	case focused:
		b.roundRect(x, y, w, setupRowH-10, 16, colWhite, 0)
		b.text(x+32, y+(setupRowH-10)/2, 4, size, colDark, true, ellipsize(label, w-64, size))
	case selected:
		b.roundRect(x, y, w, setupRowH-10, 16, colFocusBG, 0)
		b.rect(x, y+14, 6, setupRowH-38, colAccent, 0)
		b.text(x+32, y+(setupRowH-10)/2, 4, size, colWhite, true, ellipsize(label, w-64, size))
	default:
		b.text(x+32, y+(setupRowH-10)/2, 4, size, colText, false, ellipsize(label, w-64, size))
	}
}

func renderLanguages(b *assBuilder, m *Model) string {
	s := &m.Setup
	lang := Languages[s.Lang].Tag // the page speaks the focused language
	b.text(marginX, setupTitleY, 7, 56, colWhite, true, tr(lang, msgChooseLanguage))
	for i, l := range Languages {
		listItem(b, marginX, setupBodyY+i*setupRowH, 560, i == s.Lang, false, l.Name, 36)
	}
	// Greetings in every language, for the family that cannot read the
	// current one.
	for i, l := range Languages {
		b.text(880, setupBodyY+20+i*setupRowH, 7, 32, colDim, false, tr(l.Tag, msgWelcome)+"  ·  "+tr(l.Tag, msgChooseLanguage))
	}
	return tr(lang, msgHintList)
}

func renderZones(b *assBuilder, m *Model, now time.Time) string {
	s := &m.Setup
	lang := m.Lang()
	b.text(marginX, setupTitleY, 7, 56, colWhite, true, tr(lang, msgChooseTimeZone))
	b.text(marginX, setupTitleY+78, 7, 30, colDim, false, tr(lang, msgTimeZoneWhy))
	const regionW, cityX, cityW = 420, marginX + 460, 520
	y0 := setupBodyY + 44
	b.text(marginX+32, setupBodyY, 7, 26, colAccent, true, strings.ToUpper(tr(lang, msgRegion)))
	b.text(cityX+32, setupBodyY, 7, 26, colAccent, true, strings.ToUpper(tr(lang, msgCity)))
	for i, r := range Regions {
		listItem(b, marginX, y0+i*setupRowH, regionW, !s.InCities && i == s.Region, s.InCities && i == s.Region, r.RegionName(lang), 32)
	}
	cities := Regions[s.Region].Cities
	for slot := 0; slot < zoneRows; slot++ {
		c := s.ZoneTop + slot
		if c >= len(cities) {
			break
		}
		y := y0 + slot*setupRowH
		if y+setupRowH > setupHintY-40 {
			break
		}
		listItem(b, cityX, y, cityW, s.InCities && c == s.City, !s.InCities && c == s.City, cities[c].Name, 32)
	}
	if s.ZoneTop > 0 {
		b.text(cityX+cityW+24, y0+20, 5, 32, colDim, false, "▲")
	}
	if s.ZoneTop+zoneRows < len(cities) {
		b.text(cityX+cityW+24, y0+(zoneRows-1)*setupRowH+20, 5, 32, colDim, false, "▼")
	}
	// The focused city's time now: the family checks the clock it knows.
	city := cities[min(s.City, len(cities)-1)]
	t := now.In(location(city.Zone))
	cx, cw := 1240, setupRight-1240
	b.roundRect(cx, y0, cw, 300, 22, colPanel, 0x30)
	b.text(cx+cw/2, y0+90, 5, 96, colWhite, true, t.Format("15:04"))
	b.text(cx+cw/2, y0+190, 5, 30, colText, false, ellipsize(tr(lang, msgTimeIn, t.Format("15:04"), city.Name), cw-48, 30))
	b.text(cx+cw/2, y0+244, 5, 26, colDim, false, city.Zone)
	return tr(lang, msgHintZones)
}

// signalBars maps a signal strength to 0..4 bars, as phones show it.
func signalBars(dbm int) int {
	switch {
	case dbm >= -55:
		return 4
	case dbm >= -67:
		return 3
	case dbm >= -75:
		return 2
	case dbm >= -85:
		return 1
	}
	return 0
}

func drawBars(b *assBuilder, x, y, n int, col string) {
	for i := 0; i < 4; i++ {
		h := 10 + i*8
		c := colTrack
		if i < n {
			c = col
		}
		b.rect(x+i*12, y-h, 8, h, c, 0)
	}
}

// drawLock draws a padlock 24 px wide whose body's bottom is at y.
func drawLock(b *assBuilder, x, y int, col string) {
	b.roundRectOutline(x+5, y-32, 14, 20, 7, col)
	b.roundRect(x, y-18, 24, 18, 3, col, 0)
}

func unsupported(n api.WifiNetwork) bool {
	return n.Security == api.WifiSecurityEnterprise || n.Security == api.WifiSecurityWEP
}

func renderNetworks(b *assBuilder, m *Model) string {
	s := &m.Setup
	lang := m.Lang()
	b.text(marginX, setupTitleY, 7, 56, colWhite, true, tr(lang, msgChooseWifi))
	nets := s.Networks.Value
	const listW = 1200
	y := setupBodyY - 60
	switch {
	case s.Scanning && len(nets) == 0:
		b.text(marginX, y, 7, 32, colDim, false, tr(lang, msgScanning))
		y += setupRowH
	case len(nets) == 0:
		b.text(marginX, y, 7, 32, colText, false, tr(lang, msgNoNetworks))
		if s.Networks.Err != "" {
			b.text(marginX, y+48, 7, 24, colDim, false, ellipsize(s.Networks.Err, listW, 24))
		}
		y += setupRowH + 40
	}
	for slot := 0; slot < networkRows; slot++ {
		i := s.NetTop + slot
		if i >= len(nets) {
			break
		}
		n := nets[i]
		focused := i == s.NetRow
		ry := y + slot*setupRowH
		mid := ry + (setupRowH-10)/2
		tc, bc := colText, colWhite
		if focused {
			b.roundRect(marginX, ry, listW, setupRowH-10, 16, colWhite, 0)
			tc, bc = colDark, colDark
		}
		drawBars(b, marginX+28, mid+20, signalBars(n.SignalDBm), bc)
		b.text(marginX+110, mid, 4, 34, tc, focused, ellipsize(n.SSID, 680, 34))
		rx := marginX + listW - 32
		switch {
		case unsupported(n):
			col := colAmber
			if focused {
				col = colDark
			}
			b.text(rx, mid, 6, 26, col, false, tr(lang, msgNotSupported))
			continue
		case n.Security == api.WifiSecurityOpen:
			b.text(rx, mid, 6, 26, tc, false, tr(lang, msgOpen))
			rx -= textWidth(tr(lang, msgOpen), 26) + 32
		default:
			drawLock(b, rx-24, mid+16, bc)
			rx -= 24 + 32
		}
		if n.Known {
			col := colGreen
			if focused {
				col = colDark
			}
			b.text(rx, mid, 6, 26, col, true, "✓ "+tr(lang, msgSaved))
		}
	}
	shown := min(len(nets)-s.NetTop, networkRows)
	ry := y + max(shown, 0)*setupRowH + 8
	listItem(b, marginX, ry, 480, s.NetRow >= len(nets), false, "⟳  "+tr(lang, msgSearchAgain), 30)
	if s.Scanning && len(nets) > 0 {
		b.text(marginX+520, ry+(setupRowH-10)/2, 4, 26, colDim, false, tr(lang, msgScanning))
	}
	if s.Notice != "" {
		ny := ry + setupRowH + 16
		for _, l := range clampLines(wrap(s.Notice, listW, 30), 2, listW, 30) {
			b.text(marginX, ny, 7, 30, colAmber, false, l)
			ny += 44
		}
	}
	return tr(lang, msgHintNetworks)
}

func kbLabel(m *Model, k KbKey) string {
	kb := &m.Setup.Keyboard
	lang := m.Lang()
	switch k {
	case KbShift:
		return "⇧"
	case KbSymbols:
		if kb.Symbols {
			return "abc"
		}
		return "#+="
	case KbSpace:
		return tr(lang, msgSpace)
	case KbBackspace:
		return "⌫"
	case KbShow:
		if kb.Show {
			return tr(lang, msgHide)
		}
		return tr(lang, msgShow)
	}
	return tr(lang, msgDone)
}

func renderKeyboard(b *assBuilder, m *Model) string {
	s := &m.Setup
	kb := &s.Keyboard
	lang := m.Lang()
	b.text(marginX, setupTitleY, 7, 56, colWhite, true, ellipsize(tr(lang, msgPassphraseFor, s.Target.SSID), setupRight-marginX, 56))

	// The field.
	fw := kbCols*kbPitchX - (kbPitchX - kbKeyW)
	fy := 270
	b.roundRect(kbX, fy, fw, 96, 16, colBlack, 0x60)
	b.roundRectOutline(kbX, fy, fw, 96, 16, colAccent)
	shown := kb.Shown()
	size := 44
	// Keep the end of a long passphrase in view.
	for r := []rune(shown); textWidth(string(r), size) > fw-100; r = r[1:] {
		shown = "…" + string(r[2:])
	}
	tw := textWidth(shown, size)
	b.text(kbX+32, fy+48, 4, size, colWhite, false, shown)
	b.rect(kbX+32+tw+6, fy+24, 4, 48, colAccent, 0) // the cursor
	b.text(kbX+fw-24, fy+48, 6, 24, colDim, false, fmt.Sprintf("%d", len([]rune(kb.Text))))

	// The keys.
	for r := 0; r < 4; r++ {
		for c := 0; c < kbCols; c++ {
			x, y := kbX+c*kbPitchX, kbY+r*kbPitchY
			focused := kb.Row == r && kb.Col == c
			key(b, x, y, kbKeyW, focused, false, string(kb.Char(r, c)), 36)
		}
	}
	fk, _ := kb.Focused()
	for _, sk := range kbSpecial {
		x, y := kbX+sk.col*kbPitchX, kbY+4*kbPitchY
		w := sk.cols*kbPitchX - (kbPitchX - kbKeyW)
		on := (sk.key == KbShift && kb.Shift) || (sk.key == KbShow && kb.Show)
		size := 28
		if sk.key == KbShift || sk.key == KbBackspace {
			size = 36
		}
		key(b, x, y, w, kb.Row == 4 && fk == sk.key, on, kbLabel(m, sk.key), size)
	}
	if s.Notice != "" {
		b.text(kbX, kbY+5*kbPitchY+12, 7, 30, colAmber, false, ellipsize(s.Notice, fw, 30))
	}
	return tr(lang, msgHintKeyboard)
}

// key draws one keyboard key; on marks a switched-on toggle (shift, show).
func key(b *assBuilder, x, y, w int, focused, on bool, label string, size int) {
	switch {
	case focused:
		b.roundRect(x, y, w, kbKeyH, 12, colWhite, 0)
		b.text(x+w/2, y+kbKeyH/2, 5, size, colDark, true, label)
	case on:
		b.roundRect(x, y, w, kbKeyH, 12, colAccent, 0)
		b.text(x+w/2, y+kbKeyH/2, 5, size, colDark, true, label)
	default:
		b.roundRect(x, y, w, kbKeyH, 12, colFocusBG, 0)
		b.text(x+w/2, y+kbKeyH/2, 5, size, colText, false, label)
	}
}

// problemWords says a Wi-Fi problem code in words, with a hint.
func problemWords(lang, problem string) (string, string) {
	switch problem {
	case api.WifiProblemWrongPassphrase:
		return tr(lang, msgWrongPassphrase), tr(lang, msgWrongPassphraseHint)
	case api.WifiProblemNoAddress:
		return tr(lang, msgNoAddress), tr(lang, msgNoAddressHint)
	case api.WifiProblemNotFound:
		return tr(lang, msgNotFound), tr(lang, msgNotFoundHint)
	case api.WifiProblemLost:
		return tr(lang, msgLost), tr(lang, msgLostHint)
	case api.WifiProblemUnsupported:
		return tr(lang, msgUnsupported), ""
	case api.WifiProblemRadio:
		return tr(lang, msgRadio), tr(lang, msgRadioHint)
	}
	return tr(lang, msgJoinFailed), ""
}

func renderJoining(b *assBuilder, m *Model) string {
	s := &m.Setup
	lang := m.Lang()
	w := m.joinWifi()
	y := setupTitleY
	drawBars(b, marginX, y+50, signalBars(s.Target.SignalDBm), colWhite)
	b.text(marginX+72, y, 7, 56, colWhite, true, ellipsize(s.Target.SSID, 1500, 56))
	y = setupBodyY
	if m.joinFailed() {
		head, hint := problemWords(lang, w.Problem)
		detail := w.Message
		if s.Notice != "" { // the daemon refused the request itself
			head, hint, detail = tr(lang, msgJoinFailed), "", s.Notice
		}
		b.text(marginX, y, 7, 48, colAmber, true, "!  "+head)
		y += 84
		for _, l := range clampLines(wrap(hint, 1500, 32), 2, 1500, 32) {
			b.text(marginX, y, 7, 32, colText, false, l)
			y += 48
		}
		// The daemon's own sentence is English: shown to English
		// households, or when there are no words of ours.
		if detail != "" && (lang == "en" || s.Notice != "") {
			y += 12
			b.text(marginX, y, 7, 26, colDim, false, ellipsize(detail, 1500, 26))
		}
		return tr(lang, msgHintFailed)
	}
	stage := 0
	switch w.State {
	case api.WifiAddressing:
		stage = 1
	case api.WifiJoined:
		stage = 2
	}
	first := tr(lang, msgJoining, s.Target.SSID)
	if w.State == api.WifiScanning {
		first = tr(lang, msgLookingFor, s.Target.SSID)
	}
	for i, label := range []string{first, tr(lang, msgAddressing)} {
		mark, col, bold := "○", colDim, false
		switch {
		case i < stage:
			mark, col = "✓", colGreen
		case i == stage:
			mark, col, bold = "●", colWhite, true
		}
		b.text(marginX, y+i*72, 7, 40, col, bold, mark+"   "+label)
	}
	return tr(lang, msgHintWaiting)
}

func renderPhone(b *assBuilder, m *Model, now time.Time) string {
	lang := m.Lang()
	y := setupTitleY
	if ssid := m.joinedName(); ssid != "" {
		b.text(marginX, y, 7, 30, colGreen, true, "✓  "+tr(lang, msgConnectedTo, ssid))
	} else {
		b.text(marginX, y, 7, 30, colGreen, true, "✓  "+tr(lang, msgConnectedCable))
	}
	y += 64
	const textW = qrCardX - marginX - 80
	title := tr(lang, msgWelcome)
	if n := m.Catalog.Network; n != "" {
		title = tr(lang, msgWelcomeTo, n)
	}
	for _, l := range clampLines(wrap(title, textW, 64), 2, textW, 64) {
		b.text(marginX, y, 7, 64, colWhite, true, l)
		y += 84
	}
	y += 40
	for _, l := range clampLines(wrap(tr(lang, msgScanPhone), textW, 36), 3, textW, 36) {
		b.text(marginX, y, 7, 36, colText, false, l)
		y += 52
	}
	url := m.RemoteURL()
	if url != "" {
		y += 16
		b.text(marginX, y, 7, 30, colAccent, false, ellipsize(tr(lang, msgOrOpen, url), textW, 30))
		y += 56
		for _, l := range clampLines(wrap(tr(lang, msgCodeHint), textW, 26), 2, textW, 26) {
			b.text(marginX, y, 7, 26, colDim, false, l)
			y += 38
		}
	}

	// The card: the QR code, or the pairing code once the phone asked.
	b.roundRect(qrCardX, qrCardY, qrCardSize, qrCardSize, 20, colWhite, 0)
	switch p := m.Pairing; {
	case p != nil:
		code := p.Code
		if len(code) == 6 {
			code = code[:3] + " " + code[3:]
		}
		b.text(qrCardX+qrCardSize/2, qrCardY+qrCardSize/2, 5, 110, colDark, true, code)
		left := max(p.ExpiresAt.Sub(now), 0).Round(time.Second)
		b.text(qrCardX+qrCardSize/2, qrCardY+qrCardSize-60, 5, 26, colDark, false, "⏱ "+clock(left.Seconds()))
	case url != "":
		drawQR(b, url, qrCardX, qrCardY, qrCardSize)
	default:
		b.text(qrCardX+qrCardSize/2, qrCardY+qrCardSize/2, 5, 30, colDark, false, tr(lang, msgAddressing))
	}
	return tr(lang, msgHintPhone)
}

// QRRect is where the phone page draws the QR code's card (quiet zone
// included), for tests that read it back from a screenshot.
func QRRect() (x, y, size int) { return qrCardX, qrCardY, qrCardSize }

// drawQR draws text's QR code centred in a light square at x, y of side
// size, with whole pixels per module and at least the 4-module quiet zone.
func drawQR(b *assBuilder, text string, x, y, size int) {
	c, err := qr.Encode([]byte(text))
	if err != nil {
		b.text(x+size/2, y+size/2, 5, 24, colDark, false, ellipsize(text, size-40, 24))
		return
	}
	mod := size / (c.Size + 8)
	ox := x + (size-mod*c.Size)/2
	oy := y + (size-mod*c.Size)/2
	// One drawing of every row's dark runs; libass fills it as one shape.
	var path strings.Builder
	for r := 0; r < c.Size; r++ {
		for col := 0; col < c.Size; {
			if !c.Dark(col, r) {
				col++
				continue
			}
			start := col
			for col < c.Size && c.Dark(col, r) {
				col++
			}
			x0, y0, x1, y1 := start*mod, r*mod, col*mod, (r+1)*mod
			fmt.Fprintf(&path, "m %d %d l %d %d %d %d %d %d ", x0, y0, x1, y0, x1, y1, x0, y1)
		}
	}
	fmt.Fprintf(&b.Builder, "{\\an7\\pos(%d,%d)\\bord0\\shad0\\1c&H%s&\\1a&H00&\\p1}%s{\\p0}\n", ox, oy, colBlack, strings.TrimSpace(path.String()))
}
