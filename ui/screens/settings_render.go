package screens

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"periph.io/x/conn/v3/ir"
)

// Settings geometry, in overlay pixels.
const (
	menuX      = marginX
	menuY      = 176
	menuW      = 380
	menuItemH  = 64
	menuPitch  = 76
	panelX     = 560
	panelW     = rightEdge - panelX // 1296
	panelY     = 168
	rowH       = 68
	valueX     = rightEdge - 32
	headerBtnW = 232
	headerBtnH = 56
	headerBtnY = 36
)

// Settings colours (ASS &HBBGGRR&).
const (
	colPanel   = "2A1E16" // a touch lighter than the backdrop
	colFocusBG = "4A3A2E"
	colDark    = "1A120C"
)

// renderHeaderButton draws the home screen's Settings button (top right).
func renderHeaderButton(b *assBuilder, focused bool) {
	x := rightEdge - headerBtnW
	if focused {
		b.roundRect(x, headerBtnY, headerBtnW, headerBtnH, headerBtnH/2, colWhite, 0)
		b.text(x+headerBtnW/2, headerBtnY+headerBtnH/2, 5, 26, colDark, true, "⚙  Settings")
		return
	}
	b.roundRect(x, headerBtnY, headerBtnW, headerBtnH, headerBtnH/2, colBlack, 0x90)
	b.roundRectOutline(x, headerBtnY, headerBtnW, headerBtnH, headerBtnH/2, colTrack)
	b.text(x+headerBtnW/2, headerBtnY+headerBtnH/2, 5, 26, colText, false, "⚙  Settings")
}

func renderSettings(m *Model, now time.Time) string {
	var b assBuilder
	s := &m.Settings
	b.text(marginX, 44, 7, 44, colWhite, true, "Settings")
	if m.Catalog.Network != "" {
		b.text(rightEdge, 56, 9, 26, colDim, false, m.Catalog.Network)
	}

	// The menu.
	for i, name := range SectionNames {
		y := menuY + i*menuPitch
		sel := Section(i) == s.Section
		switch {
		case sel && !s.InContent:
			b.roundRect(menuX, y, menuW, menuItemH, 14, colWhite, 0)
			b.text(menuX+32, y+menuItemH/2, 4, 32, colDark, true, name)
		case sel:
			b.roundRect(menuX, y, menuW, menuItemH, 14, colFocusBG, 0)
			b.rect(menuX, y+12, 6, menuItemH-24, colAccent, 0)
			b.text(menuX+32, y+menuItemH/2, 4, 32, colWhite, true, name)
		default:
			b.text(menuX+32, y+menuItemH/2, 4, 32, colDim, false, name)
		}
	}

	// The page.
	b.roundRect(panelX, panelY-24, panelW, 820, 22, colPanel, 0x30)
	x, y := panelX+48, panelY+8
	b.text(x, y, 7, 26, colAccent, true, strings.ToUpper(SectionNames[s.Section]))
	y += 60
	p := page{b: &b, s: s, x: x, y: y}
	switch s.Section {
	case SecAbout:
		p.about(m)
	case SecSeeding:
		p.seeding(m, now)
	case SecBandwidth:
		p.bandwidth()
	case SecStorage:
		p.storage()
	case SecNetwork:
		p.network(m)
	case SecRemote:
		p.remote(m)
	case SecPairing:
		p.pairing(m, now)
	case SecHousehold:
		p.household(m, now)
	}

	// Hints along the bottom.
	hint := "↑ ↓  Choose      OK  Open      BACK  Home"
	if s.Confirm != "" {
		renderConfirm(&b, s)
		hint = "← →  Choose      OK  Confirm      BACK  Cancel"
	} else if rows := s.Rows(); s.InContent && s.Row < len(rows) {
		switch rows[s.Row].Kind {
		case RowAdjust:
			hint = "↑ ↓  Choose      ← →  Change      BACK  Menu"
		case RowToggle:
			hint = "↑ ↓  Choose      ← →  or  OK  Switch      BACK  Menu"
		default:
			hint = "↑ ↓  Choose      OK  Select      BACK  Menu"
			if strings.HasPrefix(rows[s.Row].ID, RowDevicePrefix) {
				hint = "↑ ↓  Choose      OK  Remove…      BACK  Menu"
			}
		}
	}
	b.text(marginX, Height-56, 4, 24, colDim, false, hint)
	return b.String()
}

// page lays out one section's content top to bottom.
type page struct {
	b    *assBuilder
	s    *SettingsState
	x, y int
	row  int // index of the next focusable row
}

// unavailable says a section cannot show anything; it returns true then.
func (p *page) unavailable(l interface {
	state() (have, na bool, err string)
}) bool {
	have, na, err := l.state()
	switch {
	case na:
		p.b.text(p.x, p.y, 7, 32, colText, false, NotAvailable)
		p.b.text(p.x, p.y+52, 7, 26, colDim, false, "A software update of the box will add it.")
		return true
	case !have && err != "":
		p.b.text(p.x, p.y, 7, 32, colAmber, false, "Can't read this from the box right now.")
		p.b.text(p.x, p.y+52, 7, 24, colDim, false, ellipsize(err, panelW-96, 24))
		return true
	case !have:
		p.b.text(p.x, p.y, 7, 32, colDim, false, "Loading…")
		return true
	}
	return false
}

func (l *Loaded[T]) state() (bool, bool, string) { return l.Have, l.NotAvailable, l.Err }

// info draws a label and a value on one line (not focusable).
func (p *page) info(label, value string) {
	p.b.text(p.x, p.y+rowH/2, 4, 30, colDim, false, label)
	p.b.text(valueX, p.y+rowH/2, 6, 30, colWhite, false, ellipsize(value, panelW-400, 30))
	p.y += rowH
}

// field draws the next focusable row: an adjustable value shows ‹ › when focused.
func (p *page) field(label, value string, kind RowKind) {
	focused := p.s.InContent && p.s.Row == p.row
	p.row++
	x, w := p.x-24, panelW-48
	if focused {
		p.b.roundRect(x, p.y+4, w, rowH-8, 12, colFocusBG, 0)
		p.b.roundRectOutline(x, p.y+4, w, rowH-8, 12, colAccent)
	}
	lc := colText
	if focused {
		lc = colWhite
	}
	p.b.text(p.x, p.y+rowH/2, 4, 30, lc, focused, label)
	switch {
	case kind == RowAction && value != "":
		p.b.text(valueX, p.y+rowH/2, 6, 30, colWhite, focused, ellipsize(value, panelW-520, 30)+"  ›")
	case kind == RowAction:
		p.b.text(valueX, p.y+rowH/2, 6, 30, colAccent, focused, "›")
	case focused:
		p.b.text(valueX, p.y+rowH/2, 6, 30, colWhite, true, "‹  "+value+"  ›")
	default:
		p.b.text(valueX, p.y+rowH/2, 6, 30, colWhite, false, value)
	}
	p.y += rowH
}

func (p *page) note(text string, col string) {
	for _, l := range clampLines(wrap(text, panelW-96, 26), 3, panelW-96, 26) {
		p.b.text(p.x, p.y, 7, 26, col, false, l)
		p.y += 38
	}
}

func (p *page) problem() {
	if p.s.Problem != "" {
		p.y += 8
		p.note(p.s.Problem, colAmber)
	}
}

func (p *page) about(m *Model) {
	v := p.s.View
	version, host := "", ""
	if v.Have {
		version, host = v.Value.Box.Version, v.Value.Box.Hostname
	}
	if version == "" {
		version = "unknown"
	}
	if host != "" {
		version += "  ·  " + host
	}
	p.info("Box software", version)
	network := m.Catalog.Network
	if network == "" {
		network = "—"
	}
	p.info("Network", network)
	seq := "—"
	if m.Loaded {
		seq = fmt.Sprintf("listing #%d", m.Catalog.Sequence)
	}
	p.info("Catalog", seq)
	vi := p.s.Video
	if vi.Model != "" {
		p.info("Board", vi.Model)
	}
	p.info("Video output", vi.Output)
	p.info("Decoder", vi.Decoder)
	if v.Have {
		mode := v.Value.Video.Mode
		if mode == "" {
			mode = VideoMode[0]
		}
		p.field("Output mode", videoModeLabel(mode), RowAdjust)
		p.y += 4
		p.note("A new output mode applies the next time the TV app starts.", colDim)
	} else if v.NotAvailable {
		p.info("Output mode", videoModeLabel(VideoMode[0]))
	}
	p.problem()
}

func videoModeLabel(mode string) string {
	res, hz, ok := strings.Cut(mode, "@")
	names := map[string]string{"1920x1080": "1080p", "1280x720": "720p", "3840x2160": "4K"}
	if n := names[res]; n != "" && ok {
		return n + " " + hz + " Hz"
	}
	return mode
}

func (p *page) seeding(m *Model, now time.Time) {
	l := &p.s.Seeding
	if p.unavailable(l) {
		return
	}
	v := l.Value
	var week int64
	for _, d := range v.Days {
		week += d.BytesUploaded
	}
	// Three figures.
	tiles := []struct{ value, label string }{
		{humanBytes(v.Today.BytesUploaded), "shared today"},
		// Peers are distinct boxes (by their BitTorrent ID), not viewers.
		{fmt.Sprint(v.Today.Peers), map[bool]string{true: "other box helped today", false: "other boxes helped today"}[v.Today.Peers == 1]},
		{humanBytes(week), "shared in 7 days"},
	}
	tw := (panelW - 96 - 2*32) / 3
	for i, t := range tiles {
		tx := p.x + i*(tw+32)
		p.b.roundRect(tx, p.y, tw, 150, 16, colBlack, 0x90)
		p.b.text(tx+32, p.y+30, 7, 56, colWhite, true, t.value)
		p.b.text(tx+32, p.y+102, 7, 24, colDim, false, t.label)
	}
	p.y += 190
	// The network's word next to the box's own: what the boxes it gave to
	// confirmed in their reports (the collector's monthly figure).
	if c := v.Confirmed; c != nil {
		p.b.text(p.x, p.y, 7, 26, colText, false, fmt.Sprintf("This month: %s shared, %s confirmed by the network (%s)", humanBytes(c.Claimed), humanBytes(c.Confirmed), boxes(c.Boxes)))
		p.y += 48
	}
	// The bars give up the line's height, so the page still fits its panel.
	barMax := 170
	if v.Confirmed != nil {
		barMax -= 48
	}

	// The last 7 days as bars.
	p.b.text(p.x, p.y, 7, 26, colText, true, "Last 7 days")
	p.y += 48
	var peak int64 = 1
	for _, d := range v.Days {
		peak = max(peak, d.BytesUploaded)
	}
	barW, pitch := 96, (panelW-96)/7
	base := p.y + barMax + 36
	for i, d := range v.Days {
		if i >= 7 {
			break
		}
		bx := p.x + i*pitch + (pitch-barW)/2
		h := int(math.Round(float64(d.BytesUploaded) / float64(peak) * float64(barMax)))
		col := colTrack
		if i == len(v.Days)-1 {
			col = colAccent
		}
		p.b.rect(bx, base-max(h, 3), barW, max(h, 3), col, 0)
		if d.BytesUploaded > 0 {
			p.b.text(bx+barW/2, base-max(h, 3)-8, 2, 24, colText, false, humanBytes(d.BytesUploaded))
		}
		p.b.text(bx+barW/2, base+12, 8, 24, colDim, false, dayLabel(d.Date, i == len(v.Days)-1))
	}
	p.y = base + 64
	// What the figures count: days are the household's, and each other box
	// counts once a day however much it received.
	p.b.text(p.x, p.y, 7, 24, colDim, false, "Days end at midnight, "+zoneName(m.Location(), now)+". Each other box counts once a day.")
	p.y += 44

	// What was shared most today.
	if len(v.Torrents) > 0 {
		p.b.text(p.x, p.y, 7, 26, colText, true, "Most shared today")
		p.y += 44
		for i, t := range v.Torrents {
			if i >= 3 {
				break
			}
			p.b.text(p.x, p.y+18, 4, 26, colDim, false, ellipsize(episodeName(m, t), panelW-520, 26))
			p.b.text(valueX, p.y+18, 6, 26, colText, false, humanBytes(t.BytesUploaded)+"  ·  "+boxes(t.Peers))
			p.y += 40
		}
	}
}

// episodeName names a seeded torrent by its episode when the catalog has it.
func episodeName(m *Model, t api.SeedingTorrent) string {
	for _, s := range m.Catalog.Shows {
		for _, e := range s.Episodes {
			if e.ID == t.Episode && t.Episode != "" {
				return s.Title + "  ·  " + episodeCode(e) + "  " + e.Title
			}
		}
	}
	if t.Episode != "" {
		return t.Episode
	}
	if len(t.InfoHash) > 12 {
		return "Torrent " + t.InfoHash[:12]
	}
	return "Torrent " + t.InfoHash
}

func dayLabel(date string, today bool) string {
	if today {
		return "Today"
	}
	d, err := time.Parse("2006-01-02", date)
	if err != nil {
		return date
	}
	return d.Format("Mon")
}

func (p *page) bandwidth() {
	if p.unavailable(&p.s.View) {
		return
	}
	bw := p.s.View.Value.Bandwidth
	p.note("Caps apply at once. While you watch, your own show always comes first.", colDim)
	p.y += 8
	p.field("Daytime upload", capLabel(bw.DayUp), RowAdjust)
	p.field("Daytime download", capLabel(bw.DayDown), RowAdjust)
	on := "Off"
	if bw.Night.Enabled {
		on = "On"
	}
	p.field("Overnight schedule", on, RowToggle)
	if bw.Night.Enabled || p.s.InContent {
		p.field("Overnight from", clockMinute(bw.Night.StartMinute), RowAdjust)
		p.field("Overnight until", clockMinute(bw.Night.EndMinute), RowAdjust)
		p.field("Overnight upload", capLabel(bw.Night.Up), RowAdjust)
		p.field("Overnight download", capLabel(bw.Night.Down), RowAdjust)
	}
	p.problem()
}

func capLabel(bps int64) string {
	if bps <= 0 {
		return "Unlimited"
	}
	mb := float64(bps) / mbit
	if mb < 1 {
		return fmt.Sprintf("%d kbit/s", int(math.Round(mb*1000)))
	}
	if mb == math.Trunc(mb) {
		return fmt.Sprintf("%d Mbit/s", int(mb))
	}
	return fmt.Sprintf("%.1f Mbit/s", mb)
}

func clockMinute(m int) string { return fmt.Sprintf("%02d:%02d", m/60%24, m%60) }

func (p *page) storage() {
	if p.unavailable(&p.s.View) {
		return
	}
	st := p.s.View.Value.Storage
	used := max(st.TotalBytes-st.FreeBytes, 0)
	p.b.text(p.x, p.y, 7, 44, colWhite, true, humanBytes(st.FreeBytes)+" free")
	p.b.text(valueX, p.y+12, 9, 28, colDim, false, "of "+humanBytes(st.TotalBytes))
	p.y += 76
	barW := panelW - 96
	p.b.roundRect(p.x, p.y, barW, 28, 14, colTrack, 0)
	if st.TotalBytes > 0 {
		uw := int(float64(used) / float64(st.TotalBytes) * float64(barW))
		lw := int(float64(min(st.LibraryBytes, used)) / float64(st.TotalBytes) * float64(barW))
		if uw > 0 {
			p.b.roundRect(p.x, p.y, max(uw, 28), 28, 14, colDim, 0)
		}
		if lw > 0 {
			p.b.roundRect(p.x, p.y, max(lw, 28), 28, 14, colAccent, 0)
		}
		keep := int(float64(st.KeepFreePercent) / 100 * float64(barW))
		p.b.rect(p.x+barW-keep, p.y-8, 3, 44, colWhite, 0)
	}
	p.y += 52
	p.b.text(p.x, p.y, 7, 24, colAccent, false, "■")
	p.b.text(p.x+28, p.y, 7, 24, colText, false, "Episodes "+humanBytes(st.LibraryBytes))
	p.b.text(p.x+360, p.y, 7, 24, colDim, false, "■")
	p.b.text(p.x+388, p.y, 7, 24, colText, false, "Other "+humanBytes(max(used-st.LibraryBytes, 0)))
	p.y += 64
	p.field("Keep free", fmt.Sprintf("%d%%", st.KeepFreePercent), RowAdjust)
	p.y += 8
	keepBytes := st.TotalBytes * int64(st.KeepFreePercent) / 100
	p.note(fmt.Sprintf("When less than %s is free, the box removes episodes watched long ago and well shared by others first. What you are watching is never removed.", humanBytes(keepBytes)), colDim)
	p.problem()
}

func (p *page) network(m *Model) {
	if len(p.s.Rows()) > 0 { // the Wi-Fi row
		w := p.s.Net.Value.Wifi
		value := "Not connected"
		switch {
		case w.State == api.WifiJoined:
			value = w.SSID
		case w.SSID != "":
			value = w.SSID + " (" + w.State + ")"
		}
		p.field("Wi-Fi network", value, RowAction)
		p.y += 16
	}
	if p.unavailable(&p.s.View) {
		return
	}
	r := p.s.View.Value.Reachability
	method := map[string]string{"upnp": "UPnP", "nat-pmp": "NAT-PMP", "none": "None", "": "Not tried yet"}[r.Method]
	if method == "" {
		method = r.Method
	}
	status, col := "Reachable from the internet", colGreen
	if !r.OK {
		status, col = "Not reachable from outside", colAmber
	}
	p.b.text(p.x, p.y, 7, 40, col, true, map[bool]string{true: "✓  ", false: "!  "}[r.OK]+status)
	p.y += 76
	p.info("Port mapping", method)
	if r.ExternalAddr != "" {
		p.info("Public address", r.ExternalAddr)
	}
	if r.ListenPort > 0 {
		p.info("Listen port", fmt.Sprint(r.ListenPort))
	}
	if !r.CheckedAt.IsZero() {
		p.info("Checked", r.CheckedAt.In(m.Location()).Format("Mon 15:04"))
	}
	p.y += 8
	if r.Message != "" {
		p.note(r.Message, colText)
	}
	if !r.OK {
		p.note("The box still shares and plays: it connects out to other viewers. Allowing UPnP on your router lets more of them reach it.", colDim)
	}
}

func (p *page) remote(m *Model) {
	l := &p.s.Learn
	if p.unavailable(l) {
		return
	}
	st := l.Value
	if st.State == api.LearnRunning {
		p.b.text(p.x, p.y, 7, 26, colDim, false, fmt.Sprintf("Step %d of %d", st.Step+1, max(st.Steps, 1)))
		p.y += 44
		prompt := st.Prompt
		if prompt == "" {
			prompt = "Press " + keyLabel(st.Key) + " on your remote"
		}
		p.b.text(p.x, p.y, 7, 60, colWhite, true, prompt)
		p.y += 92
		// One chip per key: learned, current, to come.
		cx := p.x
		for i, k := range st.Keys {
			label := keyLabel(k)
			w := textWidth(label, 24) + 48
			switch {
			case i < st.Step:
				p.b.roundRect(cx, p.y, w, 48, 24, colGreen, 0x60)
				p.b.text(cx+w/2, p.y+24, 5, 24, colWhite, true, label)
			case i == st.Step:
				p.b.roundRect(cx, p.y, w, 48, 24, colWhite, 0)
				p.b.text(cx+w/2, p.y+24, 5, 24, colDark, true, label)
			default:
				p.b.roundRectOutline(cx, p.y, w, 48, 24, colTrack)
				p.b.text(cx+w/2, p.y+24, 5, 24, colDim, false, label)
			}
			cx += w + 16
		}
		p.y += 76
		switch {
		case st.Problem != "":
			p.note(st.Problem, colAmber)
		case st.Confirming:
			p.note("Got it. Press the same button once more to confirm.", colGreen)
		case st.SecondsLeft > 0:
			p.note(fmt.Sprintf("Point the remote at the box. Waiting %d s.", st.SecondsLeft), colDim)
		}
		p.y += 8
	} else {
		p.note("Teach the box a new remote: it asks for each button in turn, and you press it twice.", colText)
		if st.State != api.LearnIdle && st.Prompt != "" {
			col := colDim
			switch st.State {
			case api.LearnDone:
				col = colGreen
			case api.LearnFailed, api.LearnTimedOut:
				col = colAmber
			}
			p.note(st.Prompt, col)
		}
		p.y += 8
	}
	for _, r := range p.s.Rows() {
		p.field(r.Label, "", r.Kind)
	}
	p.problem()
	p.y += 16
	p.b.text(p.x, p.y, 7, 24, colText, true, "Last signals received")
	p.y += 40
	if len(p.s.Frames) == 0 {
		p.b.text(p.x, p.y, 7, 24, colDim, false, "None yet. Press a button on the remote.")
		return
	}
	fr := p.s.Frames
	if len(fr) > 4 {
		fr = fr[len(fr)-4:]
	}
	for i := len(fr) - 1; i >= 0; i-- {
		f := fr[i]
		key := f.Key
		if key == "" {
			key = "unknown button"
		}
		line := fmt.Sprintf("%s   %s %s   →   %s", f.At.In(m.Location()).Format("15:04:05"), strings.ToUpper(f.Protocol), f.Scancode, strings.TrimPrefix(key, "KEY_"))
		p.b.text(p.x, p.y, 7, 24, colDim, false, line)
		p.y += 32
	}
}

func keyLabel(k ir.Key) string {
	if k == ir.KEY_PLAYPAUSE {
		return "PLAY/PAUSE"
	}
	return strings.TrimPrefix(string(k), "KEY_")
}

// Pairing page geometry: the bottom of the settings panel, and the
// pairing card with its QR code.
const (
	panelBottom = panelY - 24 + 820
	pairCardH   = 250
	pairQR      = 214
)

func (p *page) pairing(m *Model, now time.Time) {
	p.note("Phones and computers paired with this box can use it as a remote.", colText)
	p.field("Pair a phone", "", RowAction)
	p.problem()
	if pe := m.Pairing; pe != nil {
		p.y += 12
		p.pairingCard(m, pe, now)
		p.y += pairCardH + 24
	} else {
		p.y += 24
	}
	p.b.text(p.x, p.y, 7, 26, colText, true, "Paired devices")
	l := &p.s.Devices
	if l.Have {
		p.b.text(valueX, p.y, 9, 24, colDim, false, plural(len(l.Value), "device"))
	}
	p.y += 48
	if p.unavailable(l) {
		return
	}
	if len(l.Value) == 0 {
		p.b.text(p.x, p.y, 7, 26, colDim, false, "None yet. Choose Pair a phone, then open the address on the phone.")
		return
	}
	// As many rows as fit above the panel's bottom, scrolled to the focus.
	n := max((panelBottom-16-p.y)/rowH, 1)
	focus := 0
	if p.s.InContent && p.s.Row > 0 {
		focus = p.s.Row - 1
	}
	top := scrollTo(max(focus-n+1, 0), focus, n, len(l.Value))
	p.row = 1 + top
	loc := m.Location()
	for i := top; i < len(l.Value) && i < top+n; i++ {
		d := l.Value[i]
		if i == top+n-1 && i+1 < len(l.Value) {
			p.b.text(p.x, p.y+rowH/2, 4, 24, colAccent, false, fmt.Sprintf("▾  %d more below", len(l.Value)-i))
			break
		}
		p.field(ellipsize(d.Label, 440, 30), deviceWhen(d, now, loc), RowAction)
	}
}

// deviceWhen is a paired device's line: when it paired (in the
// household's zone) and when the box last saw it (to the UTC day, as the
// daemon notes it).
func deviceWhen(d api.PairedDevice, now time.Time, loc *time.Location) string {
	s := "Paired " + d.Created.In(loc).Format("2 Jan 2006")
	if d.LastUsed.IsZero() {
		return s
	}
	day := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	switch days := int(day(now).Sub(day(d.LastUsed)).Hours() / 24); {
	case days <= 0:
		return s + "  ·  used today"
	case days == 1:
		return s + "  ·  used yesterday"
	default:
		return s + "  ·  used " + d.LastUsed.UTC().Format("2 Jan")
	}
}

// pairingCard shows the code a phone must type, beside a QR code of the
// web remote's address (the daemon's, else the one the network view
// gives), and how long the code lives.
func (p *page) pairingCard(m *Model, pe *api.PairingEvent, now time.Time) {
	x, y, w, h := p.x-24, p.y, panelW-48, pairCardH
	p.b.roundRect(x, y, w, h, 18, colDark, 0x10)
	p.b.roundRectOutline(x, y, w, h, 18, colAccent)
	url := pe.URL
	if url == "" {
		url = m.RemoteURL()
	}
	tx := x + 40
	if url != "" {
		qx, qy := x+20, y+(h-pairQR)/2
		p.b.roundRect(qx, qy, pairQR, pairQR, 12, colWhite, 0)
		drawQR(p.b, url, qx, qy, pairQR)
		tx = qx + pairQR + 40
	}
	tw := x + w - 32 - tx
	line := "On the phone, scan the code"
	if url == "" {
		line = "On the phone, open the box's remote page"
	}
	p.b.text(tx, y+28, 7, 26, colText, false, line)
	if url != "" {
		p.b.text(tx, y+64, 7, 26, colText, false, ellipsize("or open "+url, tw, 26))
	}
	p.b.text(tx, y+100, 7, 26, colText, false, "and type this code:")
	code := pe.Code
	if len(code) == 6 {
		code = code[:3] + " " + code[3:]
	}
	p.b.text(tx, y+134, 7, 88, colWhite, true, code)
	left := max(pe.ExpiresAt.Sub(now), 0).Round(time.Second)
	p.b.text(x+w-32, y+h-28, 3, 24, colDim, false, "Code expires in "+clock(left.Seconds()))
}

// renderConfirm draws the "Remove this device?" question over the page.
func renderConfirm(b *assBuilder, s *SettingsState) {
	d, ok := s.ConfirmDevice()
	if !ok {
		return
	}
	w, h := 980, 400
	x, y := panelX+(panelW-w)/2, panelY+120
	b.rectAlpha(0, 0, Width, Height, colBlack, 0x70) // the page steps back behind the question
	b.roundRect(x, y, w, h, 24, colPanel, 0)
	b.roundRectOutline(x, y, w, h, 24, colAmber)
	b.text(x+w/2, y+64, 5, 40, colWhite, true, ellipsize("Remove "+d.Label+"?", w-80, 40))
	for i, l := range clampLines(wrap("It stops working as a remote at once. To use it again, pair it again here.", w-120, 30), 2, w-120, 30) {
		b.text(x+w/2, y+130+i*42, 8, 30, colText, false, l)
	}
	bw, bh := 260, 64
	for i, label := range []string{"Cancel", "Remove"} {
		bx, by := x+w/2-bw-20+i*(bw+40), y+h-bh-48
		if (i == 1) == s.ConfirmYes {
			b.roundRect(bx, by, bw, bh, bh/2, colWhite, 0)
			b.text(bx+bw/2, by+bh/2, 5, 30, colDark, true, label)
			continue
		}
		b.roundRectOutline(bx, by, bw, bh, bh/2, colDim)
		b.text(bx+bw/2, by+bh/2, 5, 30, colText, false, label)
	}
}

func (p *page) household(m *Model, now time.Time) {
	if p.unavailable(&p.s.Household) {
		return
	}
	h := p.s.Household.Value
	p.field("Language", LanguageOf(h.Language).Name, RowAction)
	p.field("Time zone", CityOf(h.TimeZone), RowAction)
	p.y += 8
	p.info("Time now", now.In(m.Location()).Format("Mon 15:04"))
	p.y += 8
	p.note("The first-boot screens and the preferred audio and subtitle tracks follow the language; the clock, the overnight window and the seeding days follow the time zone.", colDim)
}

// humanBytes is a size in decimal units, as disks are sold: "1.4 GB".
func humanBytes(n int64) string {
	f := float64(n)
	for _, u := range []string{"B", "KB", "MB", "GB", "TB"} {
		if f < 1000 || u == "TB" {
			switch {
			case u == "B":
				return fmt.Sprintf("%d B", n)
			case f < 10:
				return fmt.Sprintf("%.1f %s", f, u)
			default:
				return fmt.Sprintf("%.0f %s", f, u)
			}
		}
		f /= 1000
	}
	return ""
}

// boxes says how many other boxes, e.g. "1 box", "12 boxes".
func boxes(n int) string {
	if n == 1 {
		return "1 box"
	}
	return fmt.Sprintf("%d boxes", n)
}
