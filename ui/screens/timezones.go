package screens

import (
	"time"
	_ "time/tzdata" // gokrazy has no zoneinfo: the zones below and the on-screen clock need it
)

// Region is a group of the time zone list.
type Region struct {
	Names  map[string]string // by language tag; "en" always present
	Cities []City
}

// City is one choice of the time zone list.
type City struct {
	Name string // as shown
	Zone string // IANA name, as api.HouseholdSettings.TimeZone stores it
}

// Regions is the short time zone list: by region, then city, west to east.
var Regions = []Region{
	{map[string]string{"en": "Europe", "de": "Europa", "fr": "Europe", "es": "Europa"}, []City{
		{"Lisbon", "Europe/Lisbon"}, {"London", "Europe/London"}, {"Dublin", "Europe/Dublin"},
		{"Madrid", "Europe/Madrid"}, {"Paris", "Europe/Paris"}, {"Brussels", "Europe/Brussels"},
		{"Amsterdam", "Europe/Amsterdam"}, {"Zurich", "Europe/Zurich"}, {"Berlin", "Europe/Berlin"},
		{"Rome", "Europe/Rome"}, {"Vienna", "Europe/Vienna"}, {"Stockholm", "Europe/Stockholm"},
		{"Warsaw", "Europe/Warsaw"}, {"Helsinki", "Europe/Helsinki"}, {"Athens", "Europe/Athens"},
		{"Istanbul", "Europe/Istanbul"}, {"Moscow", "Europe/Moscow"},
	}},
	{map[string]string{"en": "Americas", "de": "Amerika", "fr": "Amériques", "es": "América"}, []City{
		{"Honolulu", "Pacific/Honolulu"}, {"Anchorage", "America/Anchorage"}, {"Los Angeles", "America/Los_Angeles"},
		{"Vancouver", "America/Vancouver"}, {"Phoenix", "America/Phoenix"}, {"Denver", "America/Denver"},
		{"Mexico City", "America/Mexico_City"}, {"Chicago", "America/Chicago"}, {"Bogotá", "America/Bogota"},
		{"Lima", "America/Lima"}, {"New York", "America/New_York"}, {"Toronto", "America/Toronto"},
		{"Santiago", "America/Santiago"}, {"Buenos Aires", "America/Argentina/Buenos_Aires"}, {"São Paulo", "America/Sao_Paulo"},
	}},
	{map[string]string{"en": "Africa", "de": "Afrika", "fr": "Afrique", "es": "África"}, []City{
		{"Casablanca", "Africa/Casablanca"}, {"Lagos", "Africa/Lagos"}, {"Johannesburg", "Africa/Johannesburg"},
		{"Cairo", "Africa/Cairo"}, {"Nairobi", "Africa/Nairobi"},
	}},
	{map[string]string{"en": "Asia", "de": "Asien", "fr": "Asie", "es": "Asia"}, []City{
		{"Dubai", "Asia/Dubai"}, {"Karachi", "Asia/Karachi"}, {"Kolkata", "Asia/Kolkata"},
		{"Dhaka", "Asia/Dhaka"}, {"Bangkok", "Asia/Bangkok"}, {"Jakarta", "Asia/Jakarta"},
		{"Singapore", "Asia/Singapore"}, {"Hong Kong", "Asia/Hong_Kong"}, {"Shanghai", "Asia/Shanghai"},
		{"Manila", "Asia/Manila"}, {"Taipei", "Asia/Taipei"}, {"Seoul", "Asia/Seoul"}, {"Tokyo", "Asia/Tokyo"},
	}},
	{map[string]string{"en": "Oceania", "de": "Ozeanien", "fr": "Océanie", "es": "Oceanía"}, []City{
		{"Perth", "Australia/Perth"}, {"Adelaide", "Australia/Adelaide"}, {"Brisbane", "Australia/Brisbane"},
		{"Sydney", "Australia/Sydney"}, {"Auckland", "Pacific/Auckland"},
	}},
	{map[string]string{"en": "Other", "de": "Andere", "fr": "Autre", "es": "Otra"}, []City{
		{"UTC", "UTC"},
	}},
}

// RegionName is the region's name in language tag.
func (r Region) RegionName(tag string) string {
	if n := r.Names[tag]; n != "" {
		return n
	}
	return r.Names["en"]
}

// defaultZone is the guess for a household that chose a language but no
// time zone yet: the largest city of the language's home country.
var defaultZone = map[string]string{"en": "Europe/London", "de": "Europe/Berlin", "fr": "Europe/Paris", "es": "Europe/Madrid"}

// GuessZone returns the zone to preselect: the stored one when the list
// has it, else the language's guess.
func GuessZone(stored, lang string) (region, city int) {
	for _, z := range []string{stored, defaultZone[LanguageOf(lang).Tag]} {
		if r, c, ok := findZone(z); ok {
			return r, c
		}
	}
	r, c, _ := findZone("Europe/London")
	return r, c
}

func findZone(zone string) (region, city int, ok bool) {
	for r, reg := range Regions {
		for c, ct := range reg.Cities {
			if ct.Zone == zone && zone != "" {
				return r, c, true
			}
		}
	}
	return 0, 0, false
}

// CityOf names a zone for a person ("Berlin"), or returns it as is.
func CityOf(zone string) string {
	if r, c, ok := findZone(zone); ok {
		return Regions[r].Cities[c].Name
	}
	if zone == "" {
		return "UTC"
	}
	return zone
}

// location loads zone; "" and unknown zones are UTC (the contract's "").
func location(zone string) *time.Location {
	if zone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.UTC
	}
	return loc
}
