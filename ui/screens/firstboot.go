package screens

import (
	"net"
	"net/netip"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"periph.io/x/conn/v3/ir"
)

// SetupStep is a page of the first-boot screens.
type SetupStep int

const (
	StepLanguage   SetupStep = iota // choose the language
	StepTimeZone                    // region, then city
	StepNetworks                    // the Wi-Fi networks the box sees
	StepPassphrase                  // the on-screen keyboard
	StepJoining                     // progress and errors of a join
	StepCable                       // no Wi-Fi radio and no cable: plug one in
	StepPhone                       // online: the channel and the QR code for the web remote
)

// Actions of the first-boot screens.
type (
	// ScanWifi asks the controller for GET /api/wifi/networks and to hand
	// the answer to SetWifiNetworks.
	ScanWifi struct{}
	// JoinWifi asks for POST /api/wifi/join; a refusal goes to JoinRefused.
	JoinWifi struct{ Join api.WifiJoin }
	// SetLanguage asks the controller to prefer Language's audio and
	// subtitle tracks (mpv's alang and slang).
	SetLanguage struct{ Language Language }
)

func (ScanWifi) isAction()    {}
func (JoinWifi) isAction()    {}
func (SetLanguage) isAction() {}

// zoneRows is how many regions or cities the time zone page shows at once.
const (
	zoneRows    = 7
	networkRows = 7
)

// SetupState is the first-boot screens' state.
type SetupState struct {
	Step SetupStep
	// Single: opened from settings for one change; finishing that step
	// returns to settings instead of going on.
	Single  bool
	checked bool // the first-boot decision was taken once this run

	Lang     int // focused language (index into Languages)
	Region   int // focused region
	City     int // focused city in Region
	InCities bool
	ZoneTop  int // first visible city

	Networks Loaded[[]api.WifiNetwork]
	Scanning bool // a scan is on its way
	NetRow   int  // focused row: networks, then "Search again"
	NetTop   int
	Notice   string // a refusal in words (unsupported network, passphrase rule, join refused)

	Target   api.WifiNetwork // the network being joined
	Keyboard Keyboard
	JoinedAt time.Time // when the last join was asked; older failures are stale
	Joined   string    // SSID once joined (for the phone page)

	APIPort string // the daemon's port, for the web remote's URL
}

// Household returns the household settings as the model knows them.
func (m *Model) Household() api.HouseholdSettings { return m.Settings.Household.Value }

// Lang is the household's language tag ("en" until one is known).
func (m *Model) Lang() string { return LanguageOf(m.Settings.Household.Value.Language).Tag }

// Location is the household's time zone for clocks on screen: the local
// zone until the daemon told one, then the stored one ("" is UTC).
func (m *Model) Location() *time.Location {
	h := m.Settings.Household
	if !h.Have {
		return time.Local
	}
	return location(h.Value.TimeZone)
}

// SetHousehold records the household settings (ui/daemon.Client.Household).
func (m *Model) SetHousehold(h api.HouseholdSettings, err error, notAvailable bool) []Action {
	had := m.Settings.Household.Have
	m.Settings.Household.set(h, err, notAvailable)
	var acts []Action
	if !had && m.Settings.Household.Have && h.Language != "" {
		acts = append(acts, SetLanguage{Language: LanguageOf(h.Language)})
	}
	return append(acts, m.maybeStartSetup()...)
}

// SetNetwork records GET /api/network: the first-boot decision, and the
// progress of a join on the first-boot screens.
func (m *Model) SetNetwork(v api.NetworkView, err error, notAvailable bool, now time.Time) []Action {
	m.Settings.Net.set(v, err, notAvailable)
	if acts := m.maybeStartSetup(); acts != nil {
		return acts
	}
	if m.Screen != FirstBoot || err != nil || notAvailable {
		return nil
	}
	s := &m.Setup
	switch s.Step {
	case StepJoining:
		if w := v.Wifi; v.Online && w != nil && w.State == api.WifiJoined && w.SSID == s.Target.SSID && m.fresh(w) {
			s.Step, s.Joined = StepPhone, w.SSID
		}
	case StepCable:
		if v.Online {
			s.Step = StepPhone
		}
	}
	return nil
}

// maybeStartSetup takes the first-boot decision once both the household
// and the network are known (or known to be unavailable):
//   - no network endpoint (a daemon from before the contract): the home
//     screen as before, whatever the household says;
//   - household settings not set up: language and time zone, then Wi-Fi
//     when the box is offline with a radio (a cable when it has none),
//     then the phone page;
//   - set up, offline with a radio that has no stored network: Wi-Fi;
//   - otherwise the home screen.
func (m *Model) maybeStartSetup() []Action {
	s := &m.Setup
	hh, nv := m.Settings.Household, m.Settings.Net
	if s.checked || !(hh.Have || hh.NotAvailable) || !(nv.Have || nv.NotAvailable) || m.Screen != Home {
		return nil
	}
	s.checked = true
	if !nv.Have {
		return nil
	}
	offline := !nv.Value.Online
	radio := nv.Value.Wifi != nil
	switch {
	case hh.Have && !hh.Value.SetUp:
		m.openSetup(StepLanguage, false)
	case offline && radio && nv.Value.Wifi.State == api.WifiIdle:
		return m.openSetup(StepNetworks, false)
	}
	return nil
}

// openSetup shows the first-boot screens at step.
func (m *Model) openSetup(step SetupStep, single bool) []Action {
	s := &m.Setup
	m.Screen, m.Header = FirstBoot, false
	s.Step, s.Single, s.Notice = step, single, ""
	h := m.Household()
	s.Lang = 0
	for i, l := range Languages {
		if l.Tag == LanguageOf(h.Language).Tag {
			s.Lang = i
		}
	}
	s.Region, s.City = GuessZone(h.TimeZone, h.Language)
	s.InCities = step == StepTimeZone
	s.ZoneTop = scrollTo(0, s.City, zoneRows, len(Regions[s.Region].Cities))
	if step == StepNetworks {
		return m.scan()
	}
	return nil
}

// OpenSetupStep opens one first-boot page from settings (network,
// language or time zone); finishing it returns to settings.
func (m *Model) OpenSetupStep(step SetupStep) []Action {
	return m.openSetup(step, true)
}

func (m *Model) scan() []Action {
	s := &m.Setup
	s.NetRow, s.NetTop, s.Notice = 0, 0, ""
	if s.Scanning {
		return nil
	}
	s.Scanning = true
	return []Action{ScanWifi{}}
}

// SetWifiNetworks records a scan's answer.
func (m *Model) SetWifiNetworks(nets []api.WifiNetwork, err error, notAvailable bool) {
	s := &m.Setup
	s.Scanning = false
	s.Networks.set(nets, err, notAvailable)
	s.NetRow = min(s.NetRow, len(s.Networks.Value))
}

// JoinRefused records that the daemon refused a join request outright.
func (m *Model) JoinRefused(message string) {
	if m.Screen == FirstBoot && m.Setup.Step == StepJoining {
		m.Setup.Notice = message
	}
}

// SetupPolling says whether the controller should poll GET /api/network
// (a join or a cable is awaited).
func (m *Model) SetupPolling() bool {
	return m.Screen == FirstBoot && (m.Setup.Step == StepJoining || m.Setup.Step == StepCable)
}

func isBack(k ir.Key) bool {
	return k == ir.KEY_BACK || k == ir.KEY_ESC || k == ir.KEY_BACKSPACE || k == ir.KEY_EXIT
}

func isOK(k ir.Key) bool { return k == ir.KEY_OK || k == ir.KEY_ENTER || k == ir.KEY_SELECT }

// setupKey handles a key on the first-boot screens.
func (m *Model) setupKey(k ir.Key, now time.Time) []Action {
	s := &m.Setup
	switch s.Step {
	case StepLanguage:
		switch {
		case k == ir.KEY_UP:
			s.Lang = max(s.Lang-1, 0)
		case k == ir.KEY_DOWN:
			s.Lang = min(s.Lang+1, len(Languages)-1)
		case isOK(k) || k == ir.KEY_RIGHT:
			h := m.Household()
			h.Language = Languages[s.Lang].Tag
			m.Settings.Household.Value.Language = h.Language
			acts := []Action{SetLanguage{Language: Languages[s.Lang]}}
			if s.Single {
				return append(acts, m.finishSingle()...)
			}
			s.Step = StepTimeZone
			s.Region, s.City = GuessZone(h.TimeZone, h.Language)
			s.InCities = true
			s.ZoneTop = scrollTo(0, s.City, zoneRows, len(Regions[s.Region].Cities))
			return acts
		case isBack(k) && s.Single:
			return m.finishSingle()
		}
	case StepTimeZone:
		return m.zoneKey(k)
	case StepNetworks:
		return m.networksKey(k, now)
	case StepPassphrase:
		if k == ir.KEY_BACK || k == ir.KEY_ESC || k == ir.KEY_EXIT {
			s.Step, s.Notice = StepNetworks, ""
			return nil
		}
		s.Notice = ""
		if s.Keyboard.Key(k) {
			if id, ok := passphraseProblem(s.Keyboard.Text); !ok {
				s.Notice = tr(m.Lang(), id)
				return nil
			}
			return m.join(s.Keyboard.Text, now)
		}
	case StepJoining:
		switch {
		case isBack(k):
			return m.toNetworks()
		case isOK(k) && m.joinFailed():
			if m.joinWifi().Problem == api.WifiProblemWrongPassphrase {
				s.Step = StepPassphrase // fix the passphrase, typed text kept
				return nil
			}
			return m.join(s.Keyboard.Text, now)
		}
	case StepCable:
		if isBack(k) && !s.Single {
			s.Step = StepTimeZone
		}
	case StepPhone:
		if isOK(k) || isBack(k) {
			return m.finishSetup()
		}
	}
	return nil
}

func (m *Model) zoneKey(k ir.Key) []Action {
	s := &m.Setup
	cities := Regions[s.Region].Cities
	switch {
	case k == ir.KEY_UP && !s.InCities:
		s.Region = max(s.Region-1, 0)
		s.City, s.ZoneTop = 0, 0
	case k == ir.KEY_DOWN && !s.InCities:
		s.Region = min(s.Region+1, len(Regions)-1)
		s.City, s.ZoneTop = 0, 0
	case k == ir.KEY_UP:
		s.City = max(s.City-1, 0)
	case k == ir.KEY_DOWN:
		s.City = min(s.City+1, len(cities)-1)
	case (k == ir.KEY_RIGHT || isOK(k)) && !s.InCities:
		s.InCities = true
	case k == ir.KEY_LEFT && s.InCities:
		s.InCities = false
	case isBack(k) && s.InCities && !s.Single:
		s.InCities = false
	case isBack(k) && s.Single:
		return m.finishSingle()
	case isBack(k):
		s.Step = StepLanguage
	case isOK(k): // a city
		zone := cities[s.City].Zone
		m.Settings.Household.Value.TimeZone = zone
		if s.Single {
			return m.finishSingle()
		}
		h := m.Household()
		h.SetUp = false // set once the last page is done
		acts := []Action{PutSettings{Update: api.SettingsUpdate{Household: &h}}}
		return append(acts, m.afterHousehold()...)
	}
	s.ZoneTop = scrollTo(s.ZoneTop, s.City, zoneRows, len(Regions[s.Region].Cities))
	return nil
}

// afterHousehold goes on from the time zone to the network part.
func (m *Model) afterHousehold() []Action {
	s := &m.Setup
	nv := m.Settings.Net
	switch {
	case !nv.Have:
		return m.finishSetup() // the endpoint went away: nothing more to ask
	case nv.Value.Online:
		s.Step = StepPhone
	case nv.Value.Wifi != nil:
		s.Step = StepNetworks
		return m.scan()
	default:
		s.Step = StepCable
	}
	return nil
}

func (m *Model) networksKey(k ir.Key, now time.Time) []Action {
	s := &m.Setup
	nets := s.Networks.Value
	switch {
	case k == ir.KEY_UP:
		s.NetRow = max(s.NetRow-1, 0)
		s.Notice = ""
	case k == ir.KEY_DOWN:
		s.NetRow = min(s.NetRow+1, len(nets)) // the last row is "Search again"
		s.Notice = ""
	case isBack(k):
		switch {
		case s.Single:
			return m.finishSingle()
		case m.Settings.Household.Have && !m.Settings.Household.Value.SetUp:
			s.Step, s.Notice = StepTimeZone, ""
		default:
			m.Screen = Home // set up before: the family may watch what the box holds
		}
	case isOK(k) && s.NetRow >= len(nets):
		return m.scan()
	case isOK(k):
		n := nets[s.NetRow]
		switch n.Security {
		case api.WifiSecurityEnterprise:
			s.Notice = tr(m.Lang(), msgRefuseEnterprise, n.SSID)
			return nil
		case api.WifiSecurityWEP:
			s.Notice = tr(m.Lang(), msgRefuseWEP, n.SSID)
			return nil
		}
		s.Target, s.Notice = n, ""
		if n.Security == api.WifiSecurityOpen || n.Known {
			// The daemon has what it needs: nothing for open networks,
			// its stored passphrase for known ones.
			s.Keyboard = Keyboard{}
			return m.join("", now)
		}
		s.Keyboard = Keyboard{}
		s.Step = StepPassphrase
	}
	if s.NetRow < len(nets) {
		s.NetTop = scrollTo(s.NetTop, s.NetRow, networkRows, len(nets))
	}
	return nil
}

func (m *Model) toNetworks() []Action {
	s := &m.Setup
	s.Step, s.Notice = StepNetworks, ""
	return m.scan()
}

func (m *Model) join(passphrase string, now time.Time) []Action {
	s := &m.Setup
	s.Step, s.Notice, s.JoinedAt = StepJoining, "", now
	// Until the daemon reports, the page shows the join starting.
	m.Settings.Net.Value.Wifi = &api.WifiState{State: api.WifiJoining, SSID: s.Target.SSID, Since: now}
	return []Action{JoinWifi{Join: api.WifiJoin{SSID: s.Target.SSID, Passphrase: passphrase}}}
}

// fresh says whether w was entered after the join on screen was asked
// (the daemon and the UI share the box's clock); a state without a time
// counts as fresh.
func (m *Model) fresh(w *api.WifiState) bool {
	return w.Since.IsZero() || !w.Since.Before(m.Setup.JoinedAt)
}

// joinWifi is the Wi-Fi state the joining page shows: the daemon's, or
// "joining" while the daemon still reports what it did before the join.
func (m *Model) joinWifi() api.WifiState {
	s := &m.Setup
	w := m.Settings.Net.Value.Wifi
	if w == nil || w.SSID != s.Target.SSID || !m.fresh(w) {
		return api.WifiState{State: api.WifiJoining, SSID: s.Target.SSID}
	}
	return *w
}

// joinFailed says whether the join on screen has failed.
func (m *Model) joinFailed() bool {
	return m.Setup.Notice != "" || m.joinWifi().State == api.WifiFailed
}

// finishSetup leaves the first-boot screens for home and marks the
// household as set up.
func (m *Model) finishSetup() []Action {
	s := &m.Setup
	if s.Single {
		return m.finishSingle()
	}
	m.Screen = Home
	if !m.Settings.Household.Have {
		return nil
	}
	m.Settings.Household.Value.SetUp = true
	h := m.Household()
	return []Action{PutSettings{Update: api.SettingsUpdate{Household: &h}}}
}

// finishSingle returns to settings after a change made from there and
// stores the household settings as they are now when that page changed them.
func (m *Model) finishSingle() []Action {
	m.Screen = Settings
	m.Setup.Single = false
	if step := m.Setup.Step; !m.Settings.Household.Have || (step != StepLanguage && step != StepTimeZone) {
		return nil
	}
	h := m.Household()
	return []Action{PutSettings{Update: api.SettingsUpdate{Household: &h}}}
}

// RemoteURL is the web remote's address on the box's LAN address, e.g.
// http://192.168.1.20:8080/remote; "" while the box has none. An IPv4
// address on an interface that is up wins over IPv6, Wi-Fi or cable alike.
func (m *Model) RemoteURL() string {
	nv := m.Settings.Net
	port := m.Setup.APIPort
	if !nv.Have || port == "" {
		return ""
	}
	var v6 string
	for _, ifc := range nv.Value.Interfaces {
		if !ifc.Up {
			continue
		}
		for _, a := range ifc.Addresses {
			p, err := netip.ParsePrefix(a)
			if err != nil {
				continue
			}
			ip := p.Addr()
			if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() {
				continue
			}
			host := net.JoinHostPort(ip.String(), port)
			if ip.Is4() {
				return "http://" + host + "/remote"
			}
			if v6 == "" {
				v6 = "http://" + host + "/remote"
			}
		}
	}
	return v6
}

// joinedName is the Wi-Fi network the phone page says the box joined; ""
// when it is online by cable.
func (m *Model) joinedName() string {
	if w := m.Settings.Net.Value.Wifi; w != nil && w.State == api.WifiJoined && w.SSID != "" {
		return w.SSID
	}
	return m.Setup.Joined
}
