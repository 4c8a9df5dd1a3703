package subcli

var transcriptCases = []struct {
	name  string
	lines []string
	want  string
}{
	{name: "configuration", lines: append(append([]string{}, configLines...), "show configuration", "show radius servers", "show ip local pool", "show ip local pool subs", "show subscribers", "show pppoe sessions", "show ppp interface", "show ip local pool nope"), want: `host1#configure terminal
host1(config)#radius authentication server 127.0.0.1
host1(config-radius)#key s3cret
host1(config-radius)#udp-port 11812
host1(config-radius)#timeout 5
host1(config-radius)#retransmit 2
host1(config-radius)#deadtime 1
host1(config-radius)#exit
host1(config)#radius accounting server 127.0.0.1
host1(config-radius)#key s3cret
host1(config-radius)#udp-port 11813
host1(config-radius)#radius dynamic-request server 127.0.0.1
host1(config-radius)#key coa
host1(config-radius)#udp-port 31700
host1(config-radius)#exit
host1(config)#radius algorithm round-robin
host1(config)#aaa authentication ppp default radius local none
host1(config)#aaa authentication ip default none
host1(config)#aaa accounting ppp default radius
host1(config)#aaa accounting interval 15
host1(config)#aaa dns primary 192.0.2.53
host1(config)#aaa dns secondary 192.0.2.54
host1(config)#ip local pool subs 100.64.0.1 100.64.0.99
host1(config)#ip local pool subs 100.64.1.1
host1(config)#interface gigabitEthernet 1/0/0.100
host1(config-subif)#encapsulation pppoe
host1(config-subif)#pppoe auto-configure
host1(config-subif)#pppoe ac-name "my ac"
host1(config-subif)#pppoe sessions 100
host1(config-subif)#pppoe duplicate-protection
host1(config-subif)#ppp authentication pap chap
host1(config-subif)#end
host1#show configuration
! Configuration script being generated on FRI NOV 27 2026 12:00:00 UTC
! 
!
hostname host1
aaa authentication ppp default radius local none
aaa authentication ip default none
aaa accounting ppp default radius
aaa accounting interval 15
aaa dns primary 192.0.2.53
aaa dns secondary 192.0.2.54
interface gigabitEthernet 1/0/0.100
 encapsulation pppoe
 pppoe auto-configure
 pppoe ac-name "my ac"
 pppoe sessions 100
 pppoe duplicate-protection
 ppp authentication pap chap
ip local pool subs 100.64.0.1 100.64.0.99
ip local pool subs 100.64.1.1
radius authentication server 127.0.0.1
 key s3cret
 udp-port 11812
 timeout 5
 retransmit 2
 deadtime 1
radius accounting server 127.0.0.1
 key s3cret
 udp-port 11813
radius dynamic-request server 127.0.0.1
 key coa
 udp-port 31700
radius algorithm round-robin
!
! end of generated configuration script
host1#show radius servers
 Server        Type       UDP Port Timeout Retransmit Deadtime
--------- --------------- -------- ------- ---------- --------
127.0.0.1 authentication  11812    5       2          1       
127.0.0.1 accounting      11813    3       3          0       
127.0.0.1 dynamic-request 31700      ---      ---     0       
host1#show ip local pool
Pool   Start        End     Size In Use Utilization
---- ---------- ----------- ---- ------ -----------
subs 100.64.0.1 100.64.0.99 99   0      0%         
     100.64.1.1 100.64.1.1  1    0      0%         
host1#show ip local pool subs
Pool   Start        End     Size In Use Utilization
---- ---------- ----------- ---- ------ -----------
subs 100.64.0.1 100.64.0.99 99   0      0%         
     100.64.1.1 100.64.1.1  1    0      0%         
host1#show subscribers
No subscribers found
host1#show pppoe sessions
No PPPoE sessions
host1#show ppp interface
No PPP interfaces
host1#show ip local pool nope
% no pool "nope"
host1#`},
	{name: "no forms", lines: []string{
		"configure terminal",
		"radius authentication server 10.0.0.1", "key a", "timeout 9", "no timeout", "no key", "exit",
		"radius accounting server 10.0.0.2",
		"no radius accounting server 10.0.0.2",
		"no radius accounting server 10.0.0.3",
		"aaa authentication ppp default bogus",
		"aaa authentication ppp default local",
		"no aaa authentication ppp default",
		"aaa accounting ppp default none",
		"aaa accounting interval 5",
		"aaa dns primary 10.0.0.53",
		"aaa dns secondary 10.0.0.54",
		"no aaa dns primary",
		"ip local pool p 10.1.0.1 10.1.0.9",
		"ip local pool p 10.2.0.1 10.2.0.9",
		"no ip local pool p 10.1.0.1 10.1.0.9",
		"ip local pool q 10.3.0.9 10.3.0.1",
		"interface gigabitEthernet 1/0/0",
		"encapsulation pppoe",
		"ppp authentication chap",
		"pppoe duplicate-protection",
		"no pppoe duplicate-protection",
		"no encapsulation pppoe",
		"ip auto-configure ip-subscriber pool p",
		"interface gigabitEthernet 1/0/0.100",
		"ip auto-configure ip-subscriber",
		"end",
		"show configuration",
	}, want: `host1#configure terminal
host1(config)#radius authentication server 10.0.0.1
host1(config-radius)#key a
host1(config-radius)#timeout 9
host1(config-radius)#no timeout
host1(config-radius)#no key
host1(config-radius)#exit
host1(config)#radius accounting server 10.0.0.2
host1(config-radius)#no radius accounting server 10.0.0.2
host1(config)#no radius accounting server 10.0.0.3
% no accounting server 10.0.0.3
host1(config)#aaa authentication ppp default bogus
% subscribers: unknown authentication method "bogus"
host1(config)#aaa authentication ppp default local
host1(config)#no aaa authentication ppp default
host1(config)#aaa accounting ppp default none
host1(config)#aaa accounting interval 5
                        ^
% Invalid input detected at '^' marker.
host1(config)#aaa dns primary 10.0.0.53
host1(config)#aaa dns secondary 10.0.0.54
host1(config)#no aaa dns primary
host1(config)#ip local pool p 10.1.0.1 10.1.0.9
host1(config)#ip local pool p 10.2.0.1 10.2.0.9
host1(config)#no ip local pool p 10.1.0.1 10.1.0.9
host1(config)#ip local pool q 10.3.0.9 10.3.0.1
% the end address is below the start address
host1(config)#interface gigabitEthernet 1/0/0
host1(config-if)#encapsulation pppoe
host1(config-if)#ppp authentication chap
host1(config-if)#pppoe duplicate-protection
host1(config-if)#no pppoe duplicate-protection
host1(config-if)#no encapsulation pppoe
host1(config-if)#ip auto-configure ip-subscriber pool p
% subscribers: "gigabitEthernet 1/0/0": IP subscribers need an address on the interface
host1(config-if)#interface gigabitEthernet 1/0/0.100
host1(config-subif)#ip auto-configure ip-subscriber
% subscribers: "gigabitEthernet 1/0/0.100": IP subscribers need an address on the interface
host1(config-subif)#end
host1#show configuration
! Configuration script being generated on FRI NOV 27 2026 12:00:00 UTC
! 
!
hostname host1
aaa accounting ppp default none
aaa dns secondary 10.0.0.54
ip local pool p 10.2.0.1 10.2.0.9
radius authentication server 10.0.0.1
!
! end of generated configuration script
host1#`},
}
