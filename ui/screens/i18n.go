package screens

import "fmt"

// Languages the first-boot screens speak, in the order the language list
// shows them. Tags are BCP 47 as api.HouseholdSettings.Language stores them.
var Languages = []Language{
	{"en", "English", "en,eng"},
	{"de", "Deutsch", "de,deu,ger"},
	{"fr", "Français", "fr,fra,fre"},
	{"es", "Español", "es,spa"},
}

// Language is one choice of the language list.
type Language struct {
	Tag    string // "de"
	Name   string // in the language itself: "Deutsch"
	Tracks string // mpv's alang/slang list: ISO 639-1 and -2 codes
}

// LanguageOf returns the language for tag; unknown or empty tags are English.
func LanguageOf(tag string) Language {
	for _, l := range Languages {
		if l.Tag == tag {
			return l
		}
	}
	return Languages[0]
}

// msg names a sentence of the first-boot screens.
type msg int

const (
	msgWelcome msg = iota
	msgChooseLanguage
	msgChooseTimeZone
	msgTimeZoneWhy
	msgRegion
	msgCity
	msgTimeIn // time, city
	msgChooseWifi
	msgScanning
	msgNoNetworks
	msgSearchAgain
	msgSaved
	msgOpen
	msgNotSupported
	msgRefuseEnterprise // SSID
	msgRefuseWEP        // SSID
	msgPassphraseFor    // SSID
	msgPassTooShort
	msgPassTooLong
	msgSpace
	msgShow
	msgHide
	msgDone
	msgLookingFor // SSID
	msgJoining    // SSID
	msgAddressing
	msgWrongPassphrase
	msgWrongPassphraseHint
	msgNoAddress
	msgNoAddressHint
	msgNotFound
	msgNotFoundHint
	msgLost
	msgLostHint
	msgUnsupported
	msgRadio
	msgRadioHint
	msgJoinFailed
	msgConnectedTo // SSID
	msgConnectedCable
	msgWelcomeTo // channel
	msgScanPhone
	msgOrOpen // URL
	msgCodeHint
	msgCable
	msgCableHint
	msgStepLanguage
	msgStepTimeZone
	msgStepWifi
	msgStepPhone
	msgHintList
	msgHintZones
	msgHintKeyboard
	msgHintFailed
	msgHintWaiting
	msgHintPhone
	msgHintNetworks
	numMsgs
)

// messages holds every sentence per language tag; English is complete and
// the fallback for a missing entry.
var messages = map[string][numMsgs]string{
	"en": {
		msgWelcome:             "Welcome",
		msgChooseLanguage:      "Choose your language",
		msgChooseTimeZone:      "Choose your time zone",
		msgTimeZoneWhy:         "The box uses it for its clock and for sharing overnight.",
		msgRegion:              "Region",
		msgCity:                "City",
		msgTimeIn:              "It is %s in %s",
		msgChooseWifi:          "Choose your Wi-Fi network",
		msgScanning:            "Looking for networks…",
		msgNoNetworks:          "No Wi-Fi networks found.",
		msgSearchAgain:         "Search again",
		msgSaved:               "Saved",
		msgOpen:                "Open",
		msgNotSupported:        "Not supported",
		msgRefuseEnterprise:    "%s uses WPA-Enterprise, which this box cannot join. Choose another network.",
		msgRefuseWEP:           "%s uses WEP, an old and unsafe kind of Wi-Fi this box does not join. Choose another network.",
		msgPassphraseFor:       "Passphrase for %s",
		msgPassTooShort:        "A Wi-Fi passphrase has at least 8 characters.",
		msgPassTooLong:         "A Wi-Fi passphrase has at most 63 characters (or exactly 64 hex digits).",
		msgSpace:               "Space",
		msgShow:                "Show",
		msgHide:                "Hide",
		msgDone:                "Done",
		msgLookingFor:          "Looking for %s…",
		msgJoining:             "Joining %s…",
		msgAddressing:          "Getting an address…",
		msgWrongPassphrase:     "Wrong passphrase",
		msgWrongPassphraseHint: "Check the passphrase: it is often printed on the router.",
		msgNoAddress:           "No address from the router",
		msgNoAddressHint:       "The box joined the network, but the router gave it no address. Restarting the router often helps.",
		msgNotFound:            "Network not found",
		msgNotFoundHint:        "The network does not answer. Is the router on and close enough?",
		msgLost:                "Connection lost, reconnecting",
		msgLostHint:            "The box keeps trying on its own.",
		msgUnsupported:         "This kind of network is not supported",
		msgRadio:               "The Wi-Fi radio failed",
		msgRadioHint:           "Unplug the box for ten seconds, or connect it with a network cable.",
		msgJoinFailed:          "Could not join the network",
		msgConnectedTo:         "Connected to %s",
		msgConnectedCable:      "Connected by cable",
		msgWelcomeTo:           "Welcome to %s",
		msgScanPhone:           "Scan with your phone to use it as a remote",
		msgOrOpen:              "or open %s",
		msgCodeHint:            "The phone then asks for a code, which the TV shows.",
		msgCable:               "Connect the box to your router",
		msgCableHint:           "This box has no Wi-Fi: plug a network cable into the box and the router.",
		msgStepLanguage:        "Language",
		msgStepTimeZone:        "Time zone",
		msgStepWifi:            "Wi-Fi",
		msgStepPhone:           "Phone",
		msgHintList:            "↑ ↓  Choose      OK  Select",
		msgHintZones:           "↑ ↓  Choose      ← →  Region or city      OK  Select      BACK  Back",
		msgHintKeyboard:        "← → ↑ ↓  Move      OK  Type      BACK  Other network",
		msgHintFailed:          "OK  Try again      BACK  Choose another network",
		msgHintWaiting:         "BACK  Choose another network",
		msgHintPhone:           "OK  Start watching",
		msgHintNetworks:        "↑ ↓  Choose      OK  Select      BACK  Back",
	},
	"de": {
		msgWelcome:             "Willkommen",
		msgChooseLanguage:      "Wählen Sie Ihre Sprache",
		msgChooseTimeZone:      "Wählen Sie Ihre Zeitzone",
		msgTimeZoneWhy:         "Die Box braucht sie für die Uhr und das Teilen über Nacht.",
		msgRegion:              "Region",
		msgCity:                "Stadt",
		msgTimeIn:              "Es ist %s in %s",
		msgChooseWifi:          "Wählen Sie Ihr WLAN",
		msgScanning:            "Suche nach Netzwerken…",
		msgNoNetworks:          "Keine WLANs gefunden.",
		msgSearchAgain:         "Erneut suchen",
		msgSaved:               "Gespeichert",
		msgOpen:                "Offen",
		msgNotSupported:        "Nicht unterstützt",
		msgRefuseEnterprise:    "%s nutzt WPA-Enterprise; damit kann sich die Box nicht verbinden. Wählen Sie ein anderes Netzwerk.",
		msgRefuseWEP:           "%s nutzt WEP, ein altes, unsicheres Verfahren, das die Box nicht unterstützt. Wählen Sie ein anderes Netzwerk.",
		msgPassphraseFor:       "Passwort für %s",
		msgPassTooShort:        "Ein WLAN-Passwort hat mindestens 8 Zeichen.",
		msgPassTooLong:         "Ein WLAN-Passwort hat höchstens 63 Zeichen (oder genau 64 Hex-Ziffern).",
		msgSpace:               "Leerzeichen",
		msgShow:                "Zeigen",
		msgHide:                "Verbergen",
		msgDone:                "Fertig",
		msgLookingFor:          "Suche %s…",
		msgJoining:             "Verbinde mit %s…",
		msgAddressing:          "Adresse wird abgerufen…",
		msgWrongPassphrase:     "Falsches Passwort",
		msgWrongPassphraseHint: "Prüfen Sie das Passwort: Es steht oft auf dem Router.",
		msgNoAddress:           "Keine Adresse vom Router",
		msgNoAddressHint:       "Die Box ist im WLAN, aber der Router gibt ihr keine Adresse. Ein Neustart des Routers hilft oft.",
		msgNotFound:            "Netzwerk nicht gefunden",
		msgNotFoundHint:        "Das Netzwerk antwortet nicht. Ist der Router an und nah genug?",
		msgLost:                "Verbindung verloren, verbinde neu",
		msgLostHint:            "Die Box versucht es von selbst weiter.",
		msgUnsupported:         "Diese Art Netzwerk wird nicht unterstützt",
		msgRadio:               "Das WLAN-Modul ist ausgefallen",
		msgRadioHint:           "Trennen Sie die Box zehn Sekunden vom Strom oder verbinden Sie sie per Netzwerkkabel.",
		msgJoinFailed:          "Verbindung nicht möglich",
		msgConnectedTo:         "Verbunden mit %s",
		msgConnectedCable:      "Per Kabel verbunden",
		msgWelcomeTo:           "Willkommen bei %s",
		msgScanPhone:           "Mit dem Handy scannen und es als Fernbedienung nutzen",
		msgOrOpen:              "oder %s öffnen",
		msgCodeHint:            "Das Handy fragt dann nach einem Code, den der Fernseher zeigt.",
		msgCable:               "Verbinden Sie die Box mit Ihrem Router",
		msgCableHint:           "Diese Box hat kein WLAN: Stecken Sie ein Netzwerkkabel in Box und Router.",
		msgStepLanguage:        "Sprache",
		msgStepTimeZone:        "Zeitzone",
		msgStepWifi:            "WLAN",
		msgStepPhone:           "Handy",
		msgHintList:            "↑ ↓  Auswählen      OK  Bestätigen",
		msgHintZones:           "↑ ↓  Auswählen      ← →  Region oder Stadt      OK  Bestätigen      BACK  Zurück",
		msgHintKeyboard:        "← → ↑ ↓  Bewegen      OK  Tippen      BACK  Anderes Netzwerk",
		msgHintFailed:          "OK  Erneut versuchen      BACK  Anderes Netzwerk wählen",
		msgHintWaiting:         "BACK  Anderes Netzwerk wählen",
		msgHintPhone:           "OK  Los geht's",
		msgHintNetworks:        "↑ ↓  Auswählen      OK  Bestätigen      BACK  Zurück",
	},
	"fr": {
		msgWelcome:             "Bienvenue",
		msgChooseLanguage:      "Choisissez votre langue",
		msgChooseTimeZone:      "Choisissez votre fuseau horaire",
		msgTimeZoneWhy:         "La box s'en sert pour son horloge et le partage de nuit.",
		msgRegion:              "Région",
		msgCity:                "Ville",
		msgTimeIn:              "Il est %s à %s",
		msgChooseWifi:          "Choisissez votre réseau Wi-Fi",
		msgScanning:            "Recherche des réseaux…",
		msgNoNetworks:          "Aucun réseau Wi-Fi trouvé.",
		msgSearchAgain:         "Chercher à nouveau",
		msgSaved:               "Enregistré",
		msgOpen:                "Ouvert",
		msgNotSupported:        "Non pris en charge",
		msgRefuseEnterprise:    "%s utilise WPA-Entreprise, que cette box ne sait pas rejoindre. Choisissez un autre réseau.",
		msgRefuseWEP:           "%s utilise le WEP, un ancien chiffrement peu sûr que cette box ne prend pas en charge. Choisissez un autre réseau.",
		msgPassphraseFor:       "Mot de passe de %s",
		msgPassTooShort:        "Un mot de passe Wi-Fi compte au moins 8 caractères.",
		msgPassTooLong:         "Un mot de passe Wi-Fi compte au plus 63 caractères (ou exactement 64 chiffres hexadécimaux).",
		msgSpace:               "Espace",
		msgShow:                "Afficher",
		msgHide:                "Masquer",
		msgDone:                "Valider",
		msgLookingFor:          "Recherche de %s…",
		msgJoining:             "Connexion à %s…",
		msgAddressing:          "Obtention d'une adresse…",
		msgWrongPassphrase:     "Mot de passe incorrect",
		msgWrongPassphraseHint: "Vérifiez le mot de passe : il est souvent imprimé sur le routeur.",
		msgNoAddress:           "Aucune adresse du routeur",
		msgNoAddressHint:       "La box a rejoint le réseau, mais le routeur ne lui donne pas d'adresse. Redémarrer le routeur aide souvent.",
		msgNotFound:            "Réseau introuvable",
		msgNotFoundHint:        "Le réseau ne répond pas. Le routeur est-il allumé et assez proche ?",
		msgLost:                "Connexion perdue, reconnexion",
		msgLostHint:            "La box réessaie d'elle-même.",
		msgUnsupported:         "Ce type de réseau n'est pas pris en charge",
		msgRadio:               "La puce Wi-Fi est en panne",
		msgRadioHint:           "Débranchez la box dix secondes, ou reliez-la par un câble réseau.",
		msgJoinFailed:          "Connexion impossible",
		msgConnectedTo:         "Connecté à %s",
		msgConnectedCable:      "Connecté par câble",
		msgWelcomeTo:           "Bienvenue sur %s",
		msgScanPhone:           "Scannez avec votre téléphone pour en faire une télécommande",
		msgOrOpen:              "ou ouvrez %s",
		msgCodeHint:            "Le téléphone demande ensuite un code, affiché sur la télé.",
		msgCable:               "Reliez la box à votre routeur",
		msgCableHint:           "Cette box n'a pas de Wi-Fi : branchez un câble réseau entre la box et le routeur.",
		msgStepLanguage:        "Langue",
		msgStepTimeZone:        "Fuseau",
		msgStepWifi:            "Wi-Fi",
		msgStepPhone:           "Téléphone",
		msgHintList:            "↑ ↓  Choisir      OK  Valider",
		msgHintZones:           "↑ ↓  Choisir      ← →  Région ou ville      OK  Valider      BACK  Retour",
		msgHintKeyboard:        "← → ↑ ↓  Déplacer      OK  Taper      BACK  Autre réseau",
		msgHintFailed:          "OK  Réessayer      BACK  Choisir un autre réseau",
		msgHintWaiting:         "BACK  Choisir un autre réseau",
		msgHintPhone:           "OK  Commencer",
		msgHintNetworks:        "↑ ↓  Choisir      OK  Valider      BACK  Retour",
	},
	"es": {
		msgWelcome:             "Bienvenido",
		msgChooseLanguage:      "Elija su idioma",
		msgChooseTimeZone:      "Elija su zona horaria",
		msgTimeZoneWhy:         "El equipo la usa para su reloj y para compartir de noche.",
		msgRegion:              "Región",
		msgCity:                "Ciudad",
		msgTimeIn:              "Son las %s en %s",
		msgChooseWifi:          "Elija su red Wi-Fi",
		msgScanning:            "Buscando redes…",
		msgNoNetworks:          "No se encontraron redes Wi-Fi.",
		msgSearchAgain:         "Buscar de nuevo",
		msgSaved:               "Guardada",
		msgOpen:                "Abierta",
		msgNotSupported:        "No compatible",
		msgRefuseEnterprise:    "%s usa WPA-Enterprise, que este equipo no admite. Elija otra red.",
		msgRefuseWEP:           "%s usa WEP, un cifrado antiguo e inseguro que este equipo no admite. Elija otra red.",
		msgPassphraseFor:       "Contraseña de %s",
		msgPassTooShort:        "Una contraseña Wi-Fi tiene al menos 8 caracteres.",
		msgPassTooLong:         "Una contraseña Wi-Fi tiene como mucho 63 caracteres (o exactamente 64 dígitos hexadecimales).",
		msgSpace:               "Espacio",
		msgShow:                "Mostrar",
		msgHide:                "Ocultar",
		msgDone:                "Listo",
		msgLookingFor:          "Buscando %s…",
		msgJoining:             "Conectando a %s…",
		msgAddressing:          "Obteniendo una dirección…",
		msgWrongPassphrase:     "Contraseña incorrecta",
		msgWrongPassphraseHint: "Revise la contraseña: suele estar impresa en el router.",
		msgNoAddress:           "El router no da dirección",
		msgNoAddressHint:       "El equipo entró en la red, pero el router no le da una dirección. Reiniciar el router suele ayudar.",
		msgNotFound:            "Red no encontrada",
		msgNotFoundHint:        "La red no responde. ¿Está el router encendido y cerca?",
		msgLost:                "Conexión perdida, reconectando",
		msgLostHint:            "El equipo lo sigue intentando por sí solo.",
		msgUnsupported:         "Este tipo de red no es compatible",
		msgRadio:               "Falló el módulo Wi-Fi",
		msgRadioHint:           "Desenchufe el equipo diez segundos o conéctelo con un cable de red.",
		msgJoinFailed:          "No se pudo conectar",
		msgConnectedTo:         "Conectado a %s",
		msgConnectedCable:      "Conectado por cable",
		msgWelcomeTo:           "Bienvenido a %s",
		msgScanPhone:           "Escanee con su móvil para usarlo como mando",
		msgOrOpen:              "o abra %s",
		msgCodeHint:            "El móvil le pedirá luego un código que muestra la tele.",
		msgCable:               "Conecte el equipo a su router",
		msgCableHint:           "Este equipo no tiene Wi-Fi: conecte un cable de red entre el equipo y el router.",
		msgStepLanguage:        "Idioma",
		msgStepTimeZone:        "Zona horaria",
		msgStepWifi:            "Wi-Fi",
		msgStepPhone:           "Móvil",
		msgHintList:            "↑ ↓  Elegir      OK  Aceptar",
		msgHintZones:           "↑ ↓  Elegir      ← →  Región o ciudad      OK  Aceptar      BACK  Atrás",
		msgHintKeyboard:        "← → ↑ ↓  Mover      OK  Escribir      BACK  Otra red",
		msgHintFailed:          "OK  Reintentar      BACK  Elegir otra red",
		msgHintWaiting:         "BACK  Elegir otra red",
		msgHintPhone:           "OK  Empezar",
		msgHintNetworks:        "↑ ↓  Elegir      OK  Aceptar      BACK  Atrás",
	},
}

// tr returns sentence id in language tag, formatted with args.
func tr(tag string, id msg, args ...any) string {
	s := messages[LanguageOf(tag).Tag][id]
	if s == "" {
		s = messages["en"][id]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
