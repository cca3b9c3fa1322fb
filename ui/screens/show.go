package screens

import (
	"slices"
	"time"

	"periph.io/x/conn/v3/ir"
)

// Show page areas, top to bottom on the left, then the list.
const (
	AreaActions  = iota // Play next / Start over / Mark watched
	AreaSeasons         // season tabs
	AreaEpisodes        // the season's episodes
)

// Show page actions, in the order drawn.
const (
	ActPlay      = iota // resume the selected episode (or play it from the start)
	ActStartOver        // play the selected episode from 0
	ActMark             // mark the selected episode watched or unwatched
	numActs
)

// ShowEpisodeRows is how many episodes the show page lists at once.
const ShowEpisodeRows = 6

// ShowState is the show page: one show, a season, a selected episode.
// The actions act on the selected episode, which starts as the next
// unwatched one.
type ShowState struct {
	Show    int   // index into Catalog.Shows
	Seasons []int // season numbers present, ascending
	Season  int   // index into Seasons
	Area    int
	Action  int
	Ep      int // selected episode: index into the show's Episodes
	Top     int // first visible row of the season's list
}

// MarkWatched sets an episode's watched mark through the daemon's resume
// API: Seconds = Duration marks it watched, 0 unwatched (the daemon's rule
// in appliance/resume decides from the numbers).
type MarkWatched struct {
	Episode  string
	Watched  bool
	Duration float64
}

func (MarkWatched) isAction() {}

// OpenShow opens show s's page with episode ep selected (the next
// unwatched one when ep is negative).
func (m *Model) OpenShow(s, ep int) []Action {
	show := m.Catalog.Shows[s]
	st := ShowState{Show: s, Area: AreaActions}
	for _, e := range show.Episodes {
		if !slices.Contains(st.Seasons, e.Season) {
			st.Seasons = append(st.Seasons, e.Season)
		}
	}
	slices.Sort(st.Seasons)
	if ep < 0 {
		ep = m.nextUnwatched(s)
	}
	st.Ep = ep
	m.ShowPage = st
	m.Screen = ShowPage
	m.showSelect(ep)
	return nil
}

// nextUnwatched is the first episode, in season and number order, that is
// neither watched nor locked; the first episode when all are watched.
func (m *Model) nextUnwatched(s int) int {
	order := m.showOrder(s, 0, true)
	for _, i := range order {
		e := m.Catalog.Shows[s].Episodes[i]
		if !e.Watched && !locked(e, m.builtAt) {
			return i
		}
	}
	if len(order) > 0 {
		return order[0]
	}
	return 0
}

// showOrder returns the indexes of show s's episodes of season (all
// seasons when all), ordered by season then number.
func (m *Model) showOrder(s, season int, all bool) []int {
	eps := m.Catalog.Shows[s].Episodes
	var out []int
	for i, e := range eps {
		if all || e.Season == season {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(a, b int) int {
		if eps[a].Season != eps[b].Season {
			return eps[a].Season - eps[b].Season
		}
		return eps[a].Number - eps[b].Number
	})
	return out
}

// SeasonEpisodes is the selected season's episode indexes in order.
func (m *Model) SeasonEpisodes() []int {
	st := &m.ShowPage
	if st.Season < 0 || st.Season >= len(st.Seasons) {
		return nil
	}
	return m.showOrder(st.Show, st.Seasons[st.Season], false)
}

// showSelect selects episode i, switching to its season and scrolling the
// list to it.
func (m *Model) showSelect(i int) {
	st := &m.ShowPage
	eps := m.Catalog.Shows[st.Show].Episodes
	if i < 0 || i >= len(eps) {
		return
	}
	st.Ep = i
	st.Season = max(slices.Index(st.Seasons, eps[i].Season), 0)
	pos := max(slices.Index(m.SeasonEpisodes(), i), 0)
	st.Top = scrollTo(st.Top, pos, ShowEpisodeRows, len(m.SeasonEpisodes()))
}

func (m *Model) showKey(k ir.Key, now time.Time) []Action {
	if m.Notice != nil {
		m.Notice = nil
		return nil
	}
	st := &m.ShowPage
	if st.Show < 0 || st.Show >= len(m.Catalog.Shows) {
		m.Screen = Home
		return nil
	}
	switch k {
	case ir.KEY_BACK, ir.KEY_ESC, ir.KEY_BACKSPACE, ir.KEY_EXIT, ir.KEY_HOME:
		m.Screen = Home
		return nil
	case ir.KEY_MENU:
		return m.OpenSettings()
	case ir.KEY_PLAY, ir.KEY_PLAYPAUSE:
		return m.showAct(ActPlay, now)
	}
	list := m.SeasonEpisodes()
	pos := max(slices.Index(list, st.Ep), 0)
	switch st.Area {
	case AreaActions:
		switch k {
		case ir.KEY_LEFT:
			st.Action = max(st.Action-1, 0)
		case ir.KEY_RIGHT:
			st.Action = min(st.Action+1, numActs-1)
		case ir.KEY_DOWN:
			st.Area = AreaSeasons
		case ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT:
			return m.showAct(st.Action, now)
		}
	case AreaSeasons:
		switch k {
		case ir.KEY_LEFT, ir.KEY_RIGHT:
			d := 1
			if k == ir.KEY_LEFT {
				d = -1
			}
			ns := min(max(st.Season+d, 0), len(st.Seasons)-1)
			if ns != st.Season {
				st.Season, st.Top = ns, 0
				if l := m.SeasonEpisodes(); len(l) > 0 {
					st.Ep = l[0]
				}
			}
		case ir.KEY_UP:
			st.Area = AreaActions
		case ir.KEY_DOWN, ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT:
			st.Area = AreaEpisodes
		}
	case AreaEpisodes:
		switch k {
		case ir.KEY_UP:
			if pos == 0 {
				st.Area = AreaSeasons
			} else {
				m.showSelect(list[pos-1])
			}
		case ir.KEY_DOWN:
			if pos+1 < len(list) {
				m.showSelect(list[pos+1])
			}
		case ir.KEY_LEFT:
			st.Area = AreaActions
		case ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT:
			return m.showAct(ActPlay, now)
		}
	}
	return nil
}

// showAct carries out action act on the selected episode.
func (m *Model) showAct(act int, now time.Time) []Action {
	st := &m.ShowPage
	eps := m.Catalog.Shows[st.Show].Episodes
	if st.Ep < 0 || st.Ep >= len(eps) {
		return nil
	}
	e := &eps[st.Ep]
	if act != ActMark && locked(*e, now) {
		m.Notice = &Notice{Title: "Not out yet", Text: m.LockedMessage(*e), Until: now.Add(NoticeFor)}
		return nil
	}
	it := HomeItem{st.Show, st.Ep}
	switch act {
	case ActPlay:
		return m.play(it, e.ResumeSeconds, now)
	case ActStartOver:
		return m.play(it, 0, now)
	case ActMark:
		e.Watched = !e.Watched
		e.ResumeSeconds = 0
		e.ResumedAt = now
		m.rebuildHome(now)
		return []Action{MarkWatched{Episode: e.ID, Watched: e.Watched, Duration: e.DurationSeconds}}
	}
	return nil
}
