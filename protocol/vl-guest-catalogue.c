/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest channel protocol v1: the messages between vmlinkd and vmlink-agent on the virtio-serial
 * port org.vmlink.agent.0. Bounds are generous for real guests and small enough that one frame
 * (1 MiB by default) is the real limit on what a guest can make the host hold.
 */
#include "vl-catalogue-private.h"
#include "vl-protocol.h"

const VlField vl_no_fields[] = {F_END};

#define NAME_MAX_LEN 256  /* user, package and interface names */
#define PATH_MAX_LEN 4096 /* mount points and devices */
#define ID_MAX_LEN 64     /* command ids, session ids, short identifiers */
#define TEXT_MAX_LEN 1024 /* messages meant for people */

const char *const vl_report_sections[] = {
    "os", "host", "network", "memory", "applications", "filesystems", "users", "cpu", NULL,
};

static const char *const family_choices[] = {"ipv4", "ipv6", NULL};
static const char *const shutdown_modes[] = {"poweroff", "reboot", NULL};
static const char *const shutdown_kinds[] = {"poweroff", "reboot", "halt", NULL};

/* Report sections ------------------------------------------------------------------------- */

static const VlField os_fields[] = {
    F_STRING("id", REQ, 1, ID_MAX_LEN, "Operating system identifier (os-release ID, \"windows\")"),
    F_STRING("name", REQ, 1, NAME_MAX_LEN, "Operating system name"),
    F_STRING("version_id", OPT, 0, ID_MAX_LEN, "Version (os-release VERSION_ID)"),
    F_STRING("pretty_name", OPT, 0, NAME_MAX_LEN, "Human-readable name and version"),
    F_STRING("kernel_release", OPT, 0, NAME_MAX_LEN, "Kernel release (uname -r)"),
    F_STRING("arch", REQ, 1, 32, "Machine architecture (uname -m)"),
    F_STRING("version", OPT, 0, NAME_MAX_LEN, "Version for people (os-release VERSION)"),
    F_STRING("variant", OPT, 0, NAME_MAX_LEN, "Edition (os-release VARIANT)"),
    F_STRING("variant_id", OPT, 0, ID_MAX_LEN, "Edition identifier (os-release VARIANT_ID)"),
    F_STRING("kernel_version", OPT, 0, NAME_MAX_LEN, "Kernel build (uname -v)"),
    F_END,
};

static const VlField host_fields[] = {
    F_STRING("hostname", REQ, 1, 253, "Host name"),
    F_STRING("fqdn", OPT, 0, 253, "Fully qualified domain name"),
    F_STRING("timezone", OPT, 0, ID_MAX_LEN, "Time zone name (Europe/Paris)"),
    F_INT("utc_offset_s", OPT, -50400, 50400, "Offset of local time from UTC, seconds"),
    F_INT("uptime_s", OPT, 0, I64_MAX, "Seconds since boot"),
    F_STRING("boot_id", OPT, 0, ID_MAX_LEN, "Identifier of this boot"),
    F_END,
};

static const VlField address_fields[] = {
    F_ENUM("family", REQ, family_choices, "Address family"),
    F_STRING("address", REQ, 2, ID_MAX_LEN, "Address in text form"),
    F_INT("prefix", REQ, 0, 128, "Prefix length"),
    F_END,
};
static const VlField address_item[] = {ITEM_OBJECT(address_fields, "An address")};

static const VlField interface_fields[] = {
    F_STRING("name", REQ, 1, NAME_MAX_LEN, "Interface name"),
    F_STRING("mac", OPT, 0, ID_MAX_LEN, "Hardware address, lower-case hex with colons"),
    F_ARRAY("addresses", OPT, 0, 256, address_item, "Addresses of the interface"),
    F_INT("rx_bytes", OPT, 0, I64_MAX, "Bytes received"),
    F_INT("tx_bytes", OPT, 0, I64_MAX, "Bytes sent"),
    F_END,
};
static const VlField interface_item[] = {ITEM_OBJECT(interface_fields, "An interface")};

static const VlField network_fields[] = {
    F_ARRAY("interfaces", REQ, 0, 1024, interface_item,
            "Network interfaces, excluded ones left out"),
    F_END,
};

static const VlField memory_fields[] = {
    F_INT("total_kib", REQ, 0, I64_MAX, "Usable RAM, KiB"),
    F_INT("available_kib", OPT, 0, I64_MAX, "RAM available for new work without swapping, KiB"),
    F_INT("free_kib", OPT, 0, I64_MAX, "Unused RAM, KiB"),
    F_INT("cached_kib", OPT, 0, I64_MAX, "Page cache, KiB"),
    F_INT("swap_total_kib", OPT, 0, I64_MAX, "Swap space, KiB"),
    F_INT("swap_free_kib", OPT, 0, I64_MAX, "Unused swap space, KiB"),
    F_END,
};

static const VlField application_fields[] = {
    F_STRING("name", REQ, 1, NAME_MAX_LEN, "Package or product name"),
    F_STRING("version", OPT, 0, NAME_MAX_LEN, "Installed version"),
    F_END,
};
static const VlField application_item[] = {ITEM_OBJECT(application_fields, "An application")};

static const VlField filesystem_fields[] = {
    F_STRING("mountpoint", REQ, 1, PATH_MAX_LEN, "Mount point or drive"),
    F_STRING("type", OPT, 0, ID_MAX_LEN, "File system type"),
    F_STRING("device", OPT, 0, PATH_MAX_LEN, "Device or source"),
    F_INT("total_bytes", OPT, 0, I64_MAX, "Size"),
    F_INT("used_bytes", OPT, 0, I64_MAX, "Space in use"),
    F_END,
};
static const VlField filesystem_item[] = {ITEM_OBJECT(filesystem_fields, "A file system")};

static const VlField user_fields[] = {
    F_STRING("name", REQ, 1, NAME_MAX_LEN, "User name"),
    F_STRING("session", OPT, 0, ID_MAX_LEN, "Session identifier"),
    F_STRING("seat", OPT, 0, ID_MAX_LEN, "Seat of the session"),
    F_STRING("tty", OPT, 0, ID_MAX_LEN, "Terminal of the session"),
    F_STRING("remote_host", OPT, 0, NAME_MAX_LEN, "Remote host of a remote session"),
    F_INT("since", OPT, 0, I64_MAX, "Session start, seconds since the Unix epoch"),
    F_BOOL("locked", OPT, "Whether the session is locked"),
    F_END,
};
static const VlField user_item[] = {ITEM_OBJECT(user_fields, "A user session")};

static const VlField cpu_fields[] = {
    F_INT("count", REQ, 1, 65536, "Online CPUs"),
    F_NUMBER("load1", OPT, "Load average over 1 minute"),
    F_NUMBER("load5", OPT, "Load average over 5 minutes"),
    F_NUMBER("load15", OPT, "Load average over 15 minutes"),
    F_END,
};

const VlField vl_report_section_fields[] = {
    F_OBJECT("os", OPT, os_fields, "Operating system"),
    F_OBJECT("host", OPT, host_fields, "Host identity and clock"),
    F_OBJECT("network", OPT, network_fields, "Network interfaces"),
    F_OBJECT("memory", OPT, memory_fields, "Memory figures"),
    F_ARRAY("applications", OPT, 0, 100000, application_item, "Installed applications"),
    F_ARRAY("filesystems", OPT, 0, 4096, filesystem_item, "Mounted file systems"),
    F_ARRAY("users", OPT, 0, 4096, user_item, "Logged-in users"),
    F_OBJECT("cpu", OPT, cpu_fields, "Processors and load"),
    F_END,
};

/* Messages ---------------------------------------------------------------------------------- */

static const VlField version_item[] = {ITEM_INT(1, 65535, "A protocol version")};
static const VlField capability_item[] = {ITEM_STRING(1, ID_MAX_LEN, "A capability")};
static const VlField section_item[] = {ITEM_ENUM(vl_report_sections, "A report section")};

static const VlField agent_fields[] = {
    F_STRING("name", REQ, 1, ID_MAX_LEN, "Agent program (vmlink-agent)"),
    F_STRING("version", REQ, 1, ID_MAX_LEN, "Agent version"),
    F_END,
};

static const VlField host_hello_fields[] = {
    F_ARRAY("versions", REQ, 1, 16, version_item, "Protocol versions the host speaks"),
    F_STRING("nonce", REQ, VL_NONCE_MIN_LEN, VL_NONCE_MAX_LEN,
             "Random token of this connection; the guest echoes it"),
    F_ARRAY("capabilities", OPT, 0, 64, capability_item, "Optional features of the host"),
    F_END,
};

static const VlField guest_hello_fields[] = {
    F_ARRAY("versions", REQ, 1, 16, version_item, "Protocol versions the agent speaks"),
    F_INT("version", OPT, 1, 65535, "The version chosen, when answering the host's hello"),
    F_STRING("nonce", OPT, VL_NONCE_MIN_LEN, VL_NONCE_MAX_LEN,
             "The host's nonce, echoed; absent when the agent greets first"),
    F_OBJECT("agent", REQ, agent_fields, "The agent program"),
    F_ARRAY("capabilities", OPT, 0, 64, capability_item,
            "Commands and report sections the agent supports"),
    F_END,
};

static const VlField report_fields[] = {
    F_INT("seq", REQ, 0, I64_MAX, "Sequence number, shared by reports, heartbeats and events"),
    F_BOOL("full", REQ, "true: every section; false: only the sections that changed"),
    F_OBJECT("sections", REQ, vl_report_section_fields, "The sections"),
    F_END,
};

static const VlField heartbeat_fields[] = {
    F_INT("seq", REQ, 0, I64_MAX, "Sequence number"),
    F_INT("uptime_s", OPT, 0, I64_MAX, "Seconds since boot"),
    F_OBJECT("memory", REQ, memory_fields, "Memory figures, as in the memory section"),
    F_END,
};

static const VlField event_fields[] = {
    F_INT("seq", REQ, 0, I64_MAX, "Sequence number"),
    F_INT("time", REQ, 0, I64_MAX, "When it happened, seconds since the Unix epoch"),
    F_STRING("event", REQ, 1, ID_MAX_LEN, "Event name, from the event catalogue"),
    F_DISPATCH("data", REQ, &vl_guest_event_catalogue, "event", "Event details"),
    F_END,
};

static const VlField command_fields[] = {
    F_STRING("id", REQ, 1, ID_MAX_LEN, "Chosen by the host; the reply carries it"),
    F_STRING("name", REQ, 1, ID_MAX_LEN, "Command name, from the command catalogue"),
    F_DISPATCH("args", REQ, &vl_guest_command_catalogue, "name", "Command arguments"),
    F_END,
};

static const VlField reply_fields[] = {
    F_STRING("id", REQ, 1, ID_MAX_LEN, "The id of the command answered"),
    F_OBJECT("result", REQ, NULL, "The command's result, per the command catalogue"),
    F_END,
};

static const VlField error_fields[] = {
    F_STRING("id", OPT, 1, ID_MAX_LEN, "The id of the command that failed, if any"),
    F_STRING("code", REQ, 1, ID_MAX_LEN, "Error code (see Error codes)"),
    F_STRING("message", REQ, 0, TEXT_MAX_LEN, "What went wrong, for people"),
    F_END,
};

static const VlEntry guest_entries[] = {
    {
        .name = "hello",
        .senders = VL_SENDER_HOST,
        .summary = "Opens a connection: the host offers versions and a fresh nonce. Until the "
                   "guest's hello echoes that nonce, the host drops everything the guest sends.",
        .fields = host_hello_fields,
        .example = "{\"type\":\"hello\",\"versions\":[1],\"nonce\":\"5f2b9c1e0a7d4e38\","
                   "\"capabilities\":[]}",
    },
    {
        .name = "hello",
        .senders = VL_SENDER_GUEST,
        .summary = "The agent's greeting: sent when it starts, and in answer to the host's hello "
                   "with the chosen version and the nonce echoed.",
        .fields = guest_hello_fields,
        .example = "{\"type\":\"hello\",\"versions\":[1],\"version\":1,"
                   "\"nonce\":\"5f2b9c1e0a7d4e38\","
                   "\"agent\":{\"name\":\"vmlink-agent\",\"version\":\"0.1.0\"},"
                   "\"capabilities\":[\"report\",\"shutdown\",\"lock_screen\"]}",
    },
    {
        .name = "report",
        .senders = VL_SENDER_GUEST,
        .summary = "What the guest looks like: every section after hello and refresh, then only "
                   "the sections that changed, as they change.",
        .fields = report_fields,
        .example = "{\"type\":\"report\",\"seq\":1,\"full\":false,\"sections\":{"
                   "\"os\":{\"id\":\"debian\",\"name\":\"Debian GNU/Linux\","
                   "\"version_id\":\"12\",\"pretty_name\":\"Debian GNU/Linux 12 (bookworm)\","
                   "\"kernel_release\":\"6.1.0-27-cloud-amd64\",\"arch\":\"x86_64\"},"
                   "\"host\":{\"hostname\":\"web1\",\"fqdn\":\"web1.example.org\","
                   "\"timezone\":\"UTC\",\"utc_offset_s\":0,\"uptime_s\":421,"
                   "\"boot_id\":\"0f5c3d8e2b7a4c1e9d6f0a2b4c6d8e0f\"},"
                   "\"network\":{\"interfaces\":[{\"name\":\"eth0\","
                   "\"mac\":\"52:54:00:12:34:56\",\"addresses\":[{\"family\":\"ipv4\","
                   "\"address\":\"192.0.2.10\",\"prefix\":24},{\"family\":\"ipv6\","
                   "\"address\":\"2001:db8::10\",\"prefix\":64}],\"rx_bytes\":1024,"
                   "\"tx_bytes\":2048}]},"
                   "\"memory\":{\"total_kib\":1012340,\"available_kib\":803100,"
                   "\"free_kib\":600000,\"cached_kib\":150000,\"swap_total_kib\":0,"
                   "\"swap_free_kib\":0},"
                   "\"applications\":[{\"name\":\"openssh-server\",\"version\":\"1:9.2p1-2\"}],"
                   "\"filesystems\":[{\"mountpoint\":\"/\",\"type\":\"ext4\","
                   "\"device\":\"/dev/vda1\",\"total_bytes\":10737418240,"
                   "\"used_bytes\":2147483648}],"
                   "\"users\":[{\"name\":\"alice\",\"session\":\"3\",\"seat\":\"seat0\","
                   "\"tty\":\"tty1\",\"since\":1763769600,\"locked\":false}],"
                   "\"cpu\":{\"count\":2,\"load1\":0.12,\"load5\":0.08,\"load15\":0.02}}}",
    },
    {
        .name = "heartbeat",
        .senders = VL_SENDER_GUEST,
        .summary = "Sent at the configured interval (5 s by default) with memory figures; three "
                   "missed heartbeats make the agent unresponsive to the host.",
        .fields = heartbeat_fields,
        .example = "{\"type\":\"heartbeat\",\"seq\":7,\"uptime_s\":426,\"memory\":{"
                   "\"total_kib\":1012340,\"available_kib\":803000}}",
    },
    {
        .name = "event",
        .senders = VL_SENDER_GUEST,
        .summary = "Something happened in the guest; data is checked against the event "
                   "catalogue entry named by event.",
        .fields = event_fields,
        .example = "{\"type\":\"event\",\"seq\":8,\"time\":1763769700,\"event\":\"session_lock\","
                   "\"data\":{\"user\":\"alice\",\"session\":\"3\"}}",
    },
    {
        .name = "command",
        .senders = VL_SENDER_HOST,
        .summary = "Asks the agent to act; args is checked against the command catalogue entry "
                   "named by name. Answered by a reply or an error with the same id.",
        .fields = command_fields,
        .example = "{\"type\":\"command\",\"id\":\"c1\",\"name\":\"ping\",\"args\":{}}",
    },
    {
        .name = "reply",
        .senders = VL_SENDER_GUEST,
        .summary = "The successful answer to a command.",
        .fields = reply_fields,
        .example = "{\"type\":\"reply\",\"id\":\"c1\",\"result\":{}}",
    },
    {
        .name = "error",
        .senders = VL_SENDER_BOTH,
        .summary = "A command failed, or a frame could not be accepted.",
        .fields = error_fields,
        .example = "{\"type\":\"error\",\"id\":\"c2\",\"code\":\"disabled\","
                   "\"message\":\"command log_off is disabled by configuration\"}",
    },
    {.name = NULL},
};

const VlCatalogue vl_guest_catalogue = {
    .id = "guest-message",
    .title = "Guest channel messages",
    .key = "type",
    .sender_names = {"host", "guest"},
    .entries = guest_entries,
};

/* Commands ---------------------------------------------------------------------------------- */

static const VlField refresh_args[] = {
    F_ARRAY("sections", OPT, 0, 8, section_item, "Sections to send in full; absent: all"),
    F_END,
};

static const VlField shutdown_args[] = {
    F_ENUM("mode", REQ, shutdown_modes, "Power off or reboot"),
    F_INT("delay_s", OPT, 0, 86400, "Seconds to wait first; default 0"),
    F_STRING("message", OPT, 0, TEXT_MAX_LEN, "Shown to logged-in users"),
    F_END,
};

static const VlField session_args[] = {
    F_STRING("session", OPT, 1, ID_MAX_LEN, "The session; absent: the active session"),
    F_END,
};

static const VlField login_args[] = {
    F_STRING("user", REQ, 1, NAME_MAX_LEN, "User name"),
    F_STRING("password", REQ, 1, TEXT_MAX_LEN, "Password; never logged"),
    F_STRING("domain", OPT, 0, NAME_MAX_LEN, "Domain, where the guest has one"),
    F_STRING("console", OPT, 1, NAME_MAX_LEN,
             "The console to log in on (tty1, ttyS0, hvc0, or graphical); absent: the agent's "
             "first configured console that exists"),
    F_END,
};

static const char *const login_outcomes[] = {
    "logged_in",         /* a session runs for the user on the console */
    "handed_to_greeter", /* a one-time token was announced to the graphical greeter */
    "wrong_credentials", /* the system's authentication refused them */
    "not_allowed",       /* the agent's policy does not allow this user or console */
    "no_console",        /* no such console, or none configured exists */
    "already_logged_in", /* the console has a session already */
    "timed_out",         /* nobody used the credentials in time */
    NULL,
};

static const VlField login_result[] = {
    F_ENUM("outcome", REQ, login_outcomes,
           "What happened. Never whether the user exists when the policy forbids it"),
    F_STRING("console", OPT, 1, NAME_MAX_LEN, "The console used"),
    F_STRING("session", OPT, 1, ID_MAX_LEN, "The new session's id (logind)"),
    F_END,
};

static const VlField ping_result[] = {
    F_INT("time", OPT, 0, I64_MAX, "Guest clock, seconds since the Unix epoch"),
    F_END,
};

#define COMMAND_EXAMPLE(name, args)                                                                \
    "{\"type\":\"command\",\"id\":\"c1\",\"name\":\"" name "\",\"args\":" args "}"

static const VlEntry command_entries[] = {
    {
        .name = "refresh",
        .senders = VL_SENDER_HOST,
        .summary = "Send a full report now (of the named sections, or all).",
        .fields = refresh_args,
        .result = vl_no_fields,
        .example = COMMAND_EXAMPLE("refresh", "{\"sections\":[\"network\",\"users\"]}"),
    },
    {
        .name = "shutdown",
        .senders = VL_SENDER_HOST,
        .summary = "Power off or reboot the guest, after an optional delay and message.",
        .fields = shutdown_args,
        .result = vl_no_fields,
        .example = COMMAND_EXAMPLE("shutdown", "{\"mode\":\"reboot\",\"delay_s\":60,"
                                               "\"message\":\"Maintenance reboot in one minute\"}"),
    },
    {
        .name = "lock_screen",
        .senders = VL_SENDER_HOST,
        .summary = "Lock the screen of a session.",
        .fields = session_args,
        .result = vl_no_fields,
        .example = COMMAND_EXAMPLE("lock_screen", "{}"),
    },
    {
        .name = "log_off",
        .senders = VL_SENDER_HOST,
        .summary = "End a user session.",
        .fields = session_args,
        .result = vl_no_fields,
        .example = COMMAND_EXAMPLE("log_off", "{\"session\":\"3\"}"),
    },
    {
        .name = "login",
        .senders = VL_SENDER_HOST,
        .summary = "Log a user in on a console with the manager's credentials (single sign-on); "
                   "they are kept for one login, in locked memory, and never logged.",
        .fields = login_args,
        .result = login_result,
        .example = COMMAND_EXAMPLE("login", "{\"user\":\"alice\",\"password\":\"s3cret\"}"),
    },
    {
        .name = "ping",
        .senders = VL_SENDER_HOST,
        .summary = "Check the agent answers.",
        .fields = vl_no_fields,
        .result = ping_result,
        .example = COMMAND_EXAMPLE("ping", "{}"),
    },
    {.name = NULL},
};

const VlCatalogue vl_guest_command_catalogue = {
    .id = "guest-command",
    .title = "Guest commands",
    .key = "name",
    .member = "args",
    .sender_names = {"host", "guest"},
    .entries = command_entries,
};

/* Events ------------------------------------------------------------------------------------ */

static const VlField session_event_data[] = {
    F_STRING("user", OPT, 1, NAME_MAX_LEN, "User name"),
    F_STRING("session", OPT, 1, ID_MAX_LEN, "Session identifier"),
    F_END,
};

static const VlField logon_event_data[] = {
    F_STRING("user", REQ, 1, NAME_MAX_LEN, "User name"),
    F_STRING("session", OPT, 1, ID_MAX_LEN, "Session identifier"),
    F_STRING("seat", OPT, 0, ID_MAX_LEN, "Seat"),
    F_STRING("tty", OPT, 0, ID_MAX_LEN, "Terminal"),
    F_STRING("remote_host", OPT, 0, NAME_MAX_LEN, "Remote host of a remote session"),
    F_END,
};

static const VlField agent_started_data[] = {
    F_STRING("version", REQ, 1, ID_MAX_LEN, "Agent version"),
    F_END,
};

static const VlField guest_shutdown_data[] = {
    F_ENUM("mode", OPT, shutdown_kinds, "What the guest is doing"),
    F_END,
};

#define EVENT_EXAMPLE(name, data)                                                                  \
    "{\"type\":\"event\",\"seq\":3,\"time\":1763769700,\"event\":\"" name "\",\"data\":" data "}"

static const VlEntry event_entries[] = {
    {
        .name = "session_logon",
        .senders = VL_SENDER_GUEST,
        .summary = "A user logged on.",
        .fields = logon_event_data,
        .example = EVENT_EXAMPLE("session_logon", "{\"user\":\"alice\",\"session\":\"3\","
                                                  "\"seat\":\"seat0\",\"tty\":\"tty1\"}"),
    },
    {
        .name = "session_logoff",
        .senders = VL_SENDER_GUEST,
        .summary = "A user session ended.",
        .fields = session_event_data,
        .example = EVENT_EXAMPLE("session_logoff", "{\"user\":\"alice\",\"session\":\"3\"}"),
    },
    {
        .name = "session_lock",
        .senders = VL_SENDER_GUEST,
        .summary = "A session was locked.",
        .fields = session_event_data,
        .example = EVENT_EXAMPLE("session_lock", "{\"user\":\"alice\",\"session\":\"3\"}"),
    },
    {
        .name = "session_unlock",
        .senders = VL_SENDER_GUEST,
        .summary = "A session was unlocked.",
        .fields = session_event_data,
        .example = EVENT_EXAMPLE("session_unlock", "{\"user\":\"alice\",\"session\":\"3\"}"),
    },
    {
        .name = "agent_started",
        .senders = VL_SENDER_GUEST,
        .summary = "The agent started.",
        .fields = agent_started_data,
        .example = EVENT_EXAMPLE("agent_started", "{\"version\":\"0.1.0\"}"),
    },
    {
        .name = "agent_stopping",
        .senders = VL_SENDER_GUEST,
        .summary = "The agent is stopping.",
        .fields = vl_no_fields,
        .example = EVENT_EXAMPLE("agent_stopping", "{}"),
    },
    {
        .name = "guest_shutdown",
        .senders = VL_SENDER_GUEST,
        .summary = "The guest is shutting down or rebooting.",
        .fields = guest_shutdown_data,
        .example = EVENT_EXAMPLE("guest_shutdown", "{\"mode\":\"reboot\"}"),
    },
    {.name = NULL},
};

const VlCatalogue vl_guest_event_catalogue = {
    .id = "guest-event",
    .title = "Guest events",
    .key = "event",
    .member = "data",
    .sender_names = {"host", "guest"},
    .entries = event_entries,
};
