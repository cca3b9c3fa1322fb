// Command wificheck reads the Wi-Fi boot test's console log and exits 1
// unless its "wifitest:" line reports every step working.
package main

import (
	"fmt"
	"os"

	"github.com/atomicnetwork/atomicbox/image/wifitest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wifi-test:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: wificheck CONSOLE_LOG")
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := wifitest.ParseResult(f)
	if err != nil {
		return err
	}
	if err := wifitest.Check(res); err != nil {
		return err
	}
	fmt.Printf("wifi-test: passed (guest %s s, join %s s, rejoin %s s, address %s; WPA3 join %s s, after an AP crash %s s, H2E rejoin %s s, transition rejoin %s s; atomicboxd first-boot join %s s)\n",
		res["seconds"], res["join_s"], res["rejoin_s"], res["address"], res["sae_join_s"], res["crash_rejoin_s"], res["h2e_rejoin_s"],
		res["transition_rejoin_s"], res["api_join_s"])
	return nil
}
