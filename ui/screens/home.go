package screens

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"periph.io/x/conn/v3/ir"
)

// CardRow says what a home row lists.
type CardRow int

const (
	RowContinue  CardRow = iota // started, not finished: most recently played first
	RowPremieres                // listed but not released yet: soonest first
	RowNew                      // released in the last NewFor, not started: newest first
	RowShow                     // one show's episodes in catalog order
)

// NewFor is how long a released episode counts as new.
const NewFor = 14 * 24 * time.Hour

// NoticeFor is how long a notice (why an episode cannot start) stays up
// unless a key dismisses it first.
const NoticeFor = 10 * time.Second

// HomeItem is one card: indexes into Catalog.Shows and its Episodes. Ep
// is ShowCard for the card that stands for the whole show (the first of a
// show's row; OK opens the show page).
type HomeItem struct{ Show, Ep int }

// ShowCard is HomeItem.Ep for a show's own card.
const ShowCard = -1

// HomeRow is one row of cards. Key identifies the row across catalog
// updates ("continue", "premieres", "new", "show:<id>"), so the focus
// each row remembers survives a reload.
type HomeRow struct {
	Kind  CardRow
	Key   string
	Title string
	Items []HomeItem
}

// Notice is a message over the home screen: why OK did nothing.
type Notice struct {
	Title string // e.g. "Not out yet"
	Text  string // one or more sentences; wrapped when drawn
	Until time.Time
}

// BuildHome lays out the home rows for cv at now: Continue watching,
// Premieres, New episodes (each only when not empty), then one row per
// show that has episodes. It never modifies cv. Cost is linear in the
// number of episodes plus the sorts of the three derived rows.
func BuildHome(cv api.CatalogView, now time.Time) []HomeRow {
	var cont, prem, fresh []HomeItem
	for s, show := range cv.Shows {
		for e, ep := range show.Episodes {
			it := HomeItem{s, e}
			switch {
			case locked(ep, now):
				prem = append(prem, it)
			case ep.ResumeSeconds > 0 && !ep.Watched:
				cont = append(cont, it)
			case !ep.Watched && !ep.AvailableAt.IsZero() && !ep.AvailableAt.After(now) && now.Sub(ep.AvailableAt) < NewFor:
				fresh = append(fresh, it)
			}
		}
	}
	epOf := func(it HomeItem) api.EpisodeView { return cv.Shows[it.Show].Episodes[it.Ep] }
	slices.SortStableFunc(cont, func(a, b HomeItem) int { return epOf(b).ResumedAt.Compare(epOf(a).ResumedAt) })
	slices.SortStableFunc(prem, func(a, b HomeItem) int { return cmp.Compare(releaseKey(epOf(a)), releaseKey(epOf(b))) })
	slices.SortStableFunc(fresh, func(a, b HomeItem) int { return epOf(b).AvailableAt.Compare(epOf(a).AvailableAt) })

	rows := make([]HomeRow, 0, len(cv.Shows)+3)
	if len(cont) > 0 {
		rows = append(rows, HomeRow{RowContinue, "continue", "Continue watching", cont})
	}
	if len(prem) > 0 {
		rows = append(rows, HomeRow{RowPremieres, "premieres", "Premieres", prem})
	}
	if len(fresh) > 0 {
		rows = append(rows, HomeRow{RowNew, "new", "New episodes", fresh})
	}
	for s, show := range cv.Shows {
		if len(show.Episodes) == 0 {
			continue
		}
		items := make([]HomeItem, len(show.Episodes)+1)
		items[0] = HomeItem{s, ShowCard}
		for e := range show.Episodes {
			items[e+1] = HomeItem{s, e}
		}
		rows = append(rows, HomeRow{RowShow, "show:" + show.ID, show.Title, items})
	}
	return rows
}

// locked says whether ep may not be played at now: the daemon said so and
// its release time (when known) has not passed. Once the time passes the
// card opens at once; the daemon's next catalog confirms it.
func locked(ep api.EpisodeView, now time.Time) bool {
	return ep.Locked != "" && (ep.AvailableAt.IsZero() || now.Before(ep.AvailableAt))
}

// releaseKey sorts premieres by release time, unknown times last.
func releaseKey(ep api.EpisodeView) int64 {
	if ep.AvailableAt.IsZero() {
		return 1<<63 - 1
	}
	return ep.AvailableAt.Unix()
}

// rebuildHome recomputes the rows at now, keeping each row's remembered
// column and the focused row (by key) where they still exist.
func (m *Model) rebuildHome(now time.Time) {
	if m.colOf == nil {
		m.colOf, m.topOf = map[string]int{}, map[string]int{}
	}
	m.saveRowFocus()
	var focusKey string
	if m.Row >= 0 && m.Row < len(m.Rows) {
		focusKey = m.Rows[m.Row].Key
	}
	m.Rows = BuildHome(m.Catalog, now)
	m.builtAt = now
	for r, row := range m.Rows {
		if row.Key == focusKey {
			m.Row = r
		}
	}
	m.loadRowFocus()
	m.clamp()
}

// saveRowFocus remembers the focused row's column and scroll by its key.
func (m *Model) saveRowFocus() {
	if m.Row >= 0 && m.Row < len(m.Rows) && m.colOf != nil {
		k := m.Rows[m.Row].Key
		m.colOf[k] = m.Col
		if m.Row < len(m.ColTop) {
			m.topOf[k] = m.ColTop[m.Row]
		}
	}
}

// loadRowFocus restores the focused row's remembered column and every
// row's scroll. A row never visited starts on its first episode (past a
// show's own card).
func (m *Model) loadRowFocus() {
	m.ColTop = make([]int, len(m.Rows))
	for r, row := range m.Rows {
		m.ColTop[r] = m.topOf[row.Key]
	}
	if m.Row >= 0 && m.Row < len(m.Rows) {
		m.Col = m.rowCol(m.Row)
	}
}

// rowCol is row r's remembered column.
func (m *Model) rowCol(r int) int {
	row := m.Rows[r]
	if c, ok := m.colOf[row.Key]; ok {
		return c
	}
	if row.Kind == RowShow && len(row.Items) > 1 {
		return 1
	}
	return 0
}

// FocusedItem returns the focused card's row and item.
func (m *Model) FocusedItem() (HomeRow, HomeItem, bool) {
	if m.Row < 0 || m.Row >= len(m.Rows) {
		return HomeRow{}, HomeItem{}, false
	}
	row := m.Rows[m.Row]
	if m.Col < 0 || m.Col >= len(row.Items) {
		return HomeRow{}, HomeItem{}, false
	}
	return row, row.Items[m.Col], true
}

// homeKey drives the home screen: arrows move between cards (each row
// remembers its own column), Up from the first row reaches the Settings
// button, OK on an episode plays it from its resume point (a locked
// premiere instead says when it opens), OK on a show's own card opens the
// show page. A key while a notice shows only dismisses it.
func (m *Model) homeKey(k ir.Key, now time.Time) []Action {
	if m.Notice != nil {
		m.Notice = nil
		return nil
	}
	if k == ir.KEY_MENU {
		return m.OpenSettings()
	}
	if m.builtAt.IsZero() || m.premiereOpened(now) {
		m.rebuildHome(now)
	}
	empty := len(m.Rows) == 0
	if m.Header {
		switch k {
		case ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT:
			return m.OpenSettings()
		case ir.KEY_DOWN, ir.KEY_BACK, ir.KEY_ESC, ir.KEY_BACKSPACE:
			m.Header = empty
		}
		return nil
	}
	if k == ir.KEY_UP && m.Loaded && (m.Row == 0 || empty) {
		m.Header = true
		return nil
	}
	switch k {
	case ir.KEY_LEFT:
		m.Col--
	case ir.KEY_RIGHT:
		m.Col++
	case ir.KEY_UP, ir.KEY_DOWN:
		m.saveRowFocus()
		if k == ir.KEY_UP {
			m.Row--
		} else {
			m.Row++
		}
		m.Row = min(max(m.Row, 0), max(len(m.Rows)-1, 0))
		if m.Row < len(m.Rows) {
			m.Col = m.rowCol(m.Row)
		}
	case ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT, ir.KEY_PLAY, ir.KEY_PLAYPAUSE:
		return m.openCard(now)
	}
	m.clamp()
	return nil
}

// openCard acts on the focused card (see homeKey).
func (m *Model) openCard(now time.Time) []Action {
	_, it, ok := m.FocusedItem()
	if !ok {
		return nil
	}
	if it.Ep == ShowCard {
		return m.OpenShow(it.Show, -1)
	}
	ep := m.Catalog.Shows[it.Show].Episodes[it.Ep]
	if locked(ep, now) {
		m.Notice = &Notice{Title: "Not out yet", Text: m.LockedMessage(ep), Until: now.Add(NoticeFor)}
		return nil
	}
	return m.play(it, ep.ResumeSeconds, now)
}

// play starts episode it at start seconds; leaving playback returns to
// the screen it started from (home or the show page).
func (m *Model) play(it HomeItem, start float64, now time.Time) []Action {
	ep := m.Catalog.Shows[it.Show].Episodes[it.Ep]
	m.playFrom = m.Screen
	m.Screen = Player
	m.Play = Playback{Episode: ep, Show: m.Catalog.Shows[it.Show].Title, Duration: ep.DurationSeconds, Position: start, OSDUntil: now.Add(OSDShowFor)}
	return []Action{Play{Episode: ep, Start: start}}
}

// backFromPlayer is the screen playback returns to.
func (m *Model) backFromPlayer() Screen {
	if m.playFrom == ShowPage && m.ShowPage.Show < len(m.Catalog.Shows) {
		return ShowPage
	}
	return Home
}

// LockedMessage says when a locked episode opens, in the household's time
// zone, or the daemon's own sentence when the release time is unknown.
func (m *Model) LockedMessage(ep api.EpisodeView) string {
	name := fmt.Sprintf("%s (%s)", ep.Title, episodeCode(ep))
	if ep.AvailableAt.IsZero() {
		if ep.Locked != "" {
			return name + ": " + ep.Locked
		}
		return name + " is not out yet."
	}
	loc := m.Location()
	at := ep.AvailableAt.In(loc)
	return fmt.Sprintf("%s opens on %s at %s (%s).", name, at.Format("Monday 2 January"), at.Format("15:04"), zoneName(loc, at))
}

// zoneName names the zone for a viewer: the IANA name, or the abbreviation
// for UTC and unnamed zones.
func zoneName(loc *time.Location, at time.Time) string {
	if n := loc.String(); n != "" && n != "Local" && n != "UTC" {
		return n
	}
	abbr, _ := at.Zone()
	return abbr
}

// premiereOpened says whether a premiere row's card has passed its release
// time since the rows were built (the rows must be rebuilt).
func (m *Model) premiereOpened(now time.Time) bool {
	for _, row := range m.Rows {
		if row.Kind != RowPremieres {
			continue
		}
		for _, it := range row.Items {
			if !locked(m.Catalog.Shows[it.Show].Episodes[it.Ep], now) {
				return true
			}
		}
	}
	return false
}

// StartFailed shows why the episode with id could not start (reason is a
// sentence for a person, from the controller's look at the daemon's
// answer) and goes home if the player was on it.
func (m *Model) StartFailed(id, reason string, now time.Time) {
	title := "Couldn't start the episode"
	for _, s := range m.Catalog.Shows {
		for _, e := range s.Episodes {
			if e.ID == id {
				title = fmt.Sprintf("Couldn't start %s (%s)", e.Title, episodeCode(e))
			}
		}
	}
	m.Notice = &Notice{Title: title, Text: reason, Until: now.Add(NoticeFor)}
}

// tickHome drops an expired notice and opens premieres whose time came.
func (m *Model) tickHome(now time.Time) {
	if m.Notice != nil && !now.Before(m.Notice.Until) {
		m.Notice = nil
	}
	if m.Loaded && (m.builtAt.IsZero() || m.premiereOpened(now)) {
		m.rebuildHome(now)
	}
}
