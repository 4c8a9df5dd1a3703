// Package subcli registers the CLI commands of subscriber management:
// RADIUS servers (`radius authentication|accounting|dynamic-request server`
// and the `(config-radius)` sub-commands, `radius algorithm`), AAA method
// lists and accounting (`aaa authentication ppp|ip default ...`, `aaa
// accounting ppp default radius|none`, `aaa accounting interval`), local
// address pools (`ip local pool`), PPPoE and IPoE on access interfaces
// (`encapsulation pppoe`, `pppoe auto-configure`, `pppoe ac-name`, `pppoe
// sessions`, `ppp authentication`, `ip auto-configure ip-subscriber`), the
// show commands (`show subscribers`, `show pppoe sessions`, `show ppp
// interface`, `show ip local pool`, `show radius statistics|servers`) and
// `logout subscribers`, with their running-configuration sections.
package subcli
