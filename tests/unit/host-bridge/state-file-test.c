/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state file: round trips, atomic replacement when a write fails, leftovers of a crash, and
 * every kind of damage and loose permission refused with a message that says what to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsync-fault.h"
#include "vl-check.h"
#include "vl-json.h"
#include "vl-state-file.h"

typedef struct {
    char *dir;
    char *path;
} Fixture;

static void
remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    const char *name;

    if (dir != NULL) {
        while ((name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *child = g_build_filename(path, name, NULL);

            remove_tree(child);
        }
        g_dir_close(dir);
        chmod(path, 0700);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void
fixture_init(Fixture *f)
{
    g_autoptr(GError) error = NULL;

    f->dir = g_dir_make_tmp("vl-state-file-XXXXXX", &error);
    ck_assert_msg(f->dir != NULL, "%s", error ? error->message : "");
    f->path = g_build_filename(f->dir, "state.json", NULL);
}

static void
fixture_clear(Fixture *f)
{
    remove_tree(f->dir);
    g_free(f->dir);
    g_free(f->path);
}

/* A state like vmlinkd's, with an owner of the given name. */
static VlJson *
make_state(const char *owner, gsize padding)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autofree char *pad = g_strnfill(padding, 'x');

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "owner_id");
    vl_json_builder_add_string(b, owner);
    vl_json_builder_member(b, "owner_certificate");
    vl_json_builder_add_string(b, "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n"
                                  "-----END CERTIFICATE-----\n");
    vl_json_builder_member(b, "event_url");
    vl_json_builder_add_string(b, "https://manager.example:7002/events");
    vl_json_builder_member(b, "password_hash");
    vl_json_builder_add_string(b, "$scrypt$ln=17,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$ICEi");
    vl_json_builder_member(b, "since");
    vl_json_builder_add_int(b, 1767225600);
    vl_json_builder_member(b, "pinned");
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "quoted \"\\/ \xc3\xa4");
    vl_json_builder_add_bool(b, TRUE);
    vl_json_builder_end_object(b);
    vl_json_builder_member(b, "padding");
    vl_json_builder_add_string(b, pad);
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

static char *
json_text(const VlJson *node)
{
    return vl_json_to_string(node, NULL);
}

static void
assert_state(const char *path, const VlJson *expected)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) got = vl_state_file_read(path, &error);
    g_autofree char *got_text = NULL;
    g_autofree char *expected_text = json_text(expected);

    ck_assert_msg(got != NULL, "%s", error ? error->message : "");
    got_text = json_text(got);
    ck_assert_str_eq(got_text, expected_text);
}

static void
write_ok(const char *path, const VlJson *state)
{
    g_autoptr(GError) error = NULL;

    ck_assert_msg(vl_state_file_write(path, state, &error), "%s", error ? error->message : "");
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir other than the state file itself, sorted, joined with spaces. */
static char *
other_files(const Fixture *f)
{
    GDir *dir = g_dir_open(f->dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    ck_assert(dir != NULL);
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (strcmp(name, "state.json") != 0) {
            g_ptr_array_add(names, g_strdup(name));
        }
    }
    g_dir_close(dir);
    g_ptr_array_sort(names, compare_names);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **)names->pdata);
}

static void
assert_no_other_files(const Fixture *f)
{
    g_autofree char *others = other_files(f);

    ck_assert_msg(others[0] == '\0', "left in the folder: %s", others);
}

static void
write_raw(const char *path, const char *content, gsize len, int mode)
{
    g_autoptr(GError) error = NULL;

    ck_assert_msg(g_file_set_contents_full(path, content, (gssize)len,
                                           G_FILE_SET_CONTENTS_CONSISTENT, mode, &error),
                  "%s", error ? error->message : "");
    ck_assert_int_eq(chmod(path, mode), 0);
}

static char *
read_raw(const char *path, gsize *ret_len)
{
    char *content = NULL;

    ck_assert(g_file_get_contents(path, &content, ret_len, NULL));
    return content;
}

/* Round trips -------------------------------------------------------------------------------- */

START_TEST(test_round_trip)
{
    Fixture f;
    g_autoptr(VlJson) one = make_state("manager-1", 0);
    g_autoptr(VlJson) two = make_state("manager-2", 5000);
    g_autofree char *content = NULL;
    g_autofree char *data = json_text(one);
    struct stat st;
    gsize len;

    fixture_init(&f);
    write_ok(f.path, one);
    assert_state(f.path, one);
    ck_assert_int_eq(stat(f.path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);

    /* The documented layout, with the data as compact JSON. */
    content = read_raw(f.path, &len);
    ck_assert(g_str_has_prefix(content, "{\"format\":1,\"sha256\":\""));
    ck_assert(strstr(content, data) != NULL);
    ck_assert(g_str_has_suffix(content, "}\n"));
    ck_assert(memchr(content, '\n', len - 1) == NULL);

    /* Replaced, and nothing left beside it. */
    write_ok(f.path, two);
    assert_state(f.path, two);
    write_ok(f.path, one);
    assert_state(f.path, one);
    assert_no_other_files(&f);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_mode_despite_umask)
{
    Fixture f;
    g_autoptr(VlJson) state = make_state("m", 0);
    struct stat st;
    mode_t old;

    fixture_init(&f);
    old = umask(0);
    write_ok(f.path, state);
    ck_assert_int_eq(stat(f.path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    umask(0277);
    write_ok(f.path, state);
    ck_assert_int_eq(stat(f.path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    umask(old);
    assert_state(f.path, state);
    fixture_clear(&f);
}
END_TEST

/* Failed writes leave the old state --------------------------------------------------------------
 */

static void
assert_write_fails(const char *path, const VlJson *state, const char *fragment)
{
    g_autoptr(GError) error = NULL;

    ck_assert(!vl_state_file_write(path, state, &error));
    ck_assert_msg(g_error_matches(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_WRITE), "%s",
                  error ? error->message : "no error");
    ck_assert_msg(strstr(error->message, path) != NULL, "%s", error->message);
    ck_assert_msg(strstr(error->message, fragment) != NULL, "%s", error->message);
}

START_TEST(test_write_fails_disk_full)
{
    Fixture f;
    g_autoptr(VlJson) old = make_state("old", 0);
    g_autoptr(VlJson) big = make_state("new", 20000);
    struct rlimit limit = {.rlim_cur = 4096, .rlim_max = RLIM_INFINITY};
    struct rlimit saved;

    fixture_init(&f);
    write_ok(f.path, old);
    /* A file size limit fails the write part way, as a full disk would (EFBIG, not a signal). */
    signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
    limit.rlim_max = saved.rlim_max;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
    assert_write_fails(f.path, big, "writing");
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, SIG_DFL);

    assert_state(f.path, old);
    assert_no_other_files(&f);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_write_unflushed_folder)
{
    Fixture f;
    g_autoptr(VlJson) old = make_state("old", 0);
    g_autoptr(VlJson) next = make_state("new", 0);
    g_autoptr(GError) error = NULL;
    gboolean ok;

    fixture_init(&f);
    write_ok(f.path, old);
    vl_test_fail_folder_fsync = TRUE;
    ok = vl_state_file_write(f.path, next, &error);
    vl_test_fail_folder_fsync = FALSE;
    /* Not _WRITE ("it was not changed"): the new state is in place, and the caller may say so. */
    ck_assert(!ok);
    ck_assert_msg(g_error_matches(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_UNFLUSHED), "%s",
                  error ? error->message : "no error");
    ck_assert_ptr_nonnull(strstr(error->message, "was replaced"));
    assert_state(f.path, next);
    assert_no_other_files(&f);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_write_fails_path_is_folder)
{
    Fixture f;
    g_autoptr(VlJson) state = make_state("m", 0);
    g_autofree char *inside = NULL;

    fixture_init(&f);
    ck_assert_int_eq(mkdir(f.path, 0700), 0);
    assert_write_fails(f.path, state, "renaming");
    ck_assert(g_file_test(f.path, G_FILE_TEST_IS_DIR));
    assert_no_other_files(&f);
    /* Its folder missing, or not a file name at all. */
    inside = g_build_filename(f.dir, "missing", "state.json", NULL);
    assert_write_fails(inside, state, "opening its folder");
    assert_write_fails("/tmp/", state, "not a file name");
    fixture_clear(&f);
}
END_TEST

START_TEST(test_write_fails_read_only_folder)
{
    Fixture f;
    g_autoptr(VlJson) old = make_state("old", 0);
    g_autoptr(VlJson) state = make_state("new", 0);

    if (geteuid() == 0) {
        /* root writes into a read-only folder anyway; the size limit test covers this case. */
        return;
    }
    fixture_init(&f);
    write_ok(f.path, old);
    ck_assert_int_eq(chmod(f.dir, 0500), 0);
    assert_write_fails(f.path, state, "creating a temporary file");
    ck_assert_int_eq(chmod(f.dir, 0700), 0);
    assert_state(f.path, old);
    assert_no_other_files(&f);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_write_too_large)
{
    Fixture f;
    g_autoptr(VlJson) old = make_state("old", 0);
    g_autoptr(VlJson) huge = make_state("new", VL_STATE_FILE_MAX_SIZE);
    g_autoptr(VlJson) largest = make_state("new", VL_STATE_FILE_MAX_SIZE - 1000);

    fixture_init(&f);
    write_ok(f.path, old);
    assert_write_fails(f.path, huge, "more than");
    assert_state(f.path, old);
    /* Just below the bound is written and read back. */
    write_ok(f.path, largest);
    assert_state(f.path, largest);
    assert_no_other_files(&f);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_leftovers_removed)
{
    Fixture f;
    g_autoptr(VlJson) state = make_state("m", 0);
    g_autofree char *others = NULL;
    const char *leftovers[] = {".state.json.tmp-0123456789ab", ".state.json.tmp-abcdef012345"};
    const char *kept[] = {".state.json.tmp-xyz", ".state.json.tmp-0123456789abc", "other.json",
                          ".other.json.tmp-0123456789ab", "state.json.tmp-0123456789ab"};

    fixture_init(&f);
    for (guint i = 0; i < G_N_ELEMENTS(leftovers); i++) {
        g_autofree char *p = g_build_filename(f.dir, leftovers[i], NULL);

        write_raw(p, "{\"format\":1,\"sha", 16, 0600);
    }
    for (guint i = 0; i < G_N_ELEMENTS(kept); i++) {
        g_autofree char *p = g_build_filename(f.dir, kept[i], NULL);

        write_raw(p, "x", 1, 0600);
    }
    write_ok(f.path, state);
    assert_state(f.path, state);
    others = other_files(&f);
    ck_assert_str_eq(others, ".other.json.tmp-0123456789ab .state.json.tmp-0123456789abc "
                             ".state.json.tmp-xyz other.json state.json.tmp-0123456789ab");
    fixture_clear(&f);
}
END_TEST

/* Damage ------------------------------------------------------------------------------------ */

static void
assert_read_error(const char *path, gint code, const char *fragment)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) got = NULL;
    gsize before_len = 0, after_len = 0;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    gboolean regular = g_file_test(path, G_FILE_TEST_IS_REGULAR);

    /* (Reading a FIFO here would block: only regular files are compared.) */
    if (regular) {
        ck_assert(g_file_get_contents(path, &before, &before_len, NULL));
    }
    got = vl_state_file_read(path, &error);
    ck_assert(got == NULL);
    ck_assert_msg(g_error_matches(error, VL_STATE_FILE_ERROR, code), "expected %d, got %s", code,
                  error ? error->message : "no error");
    ck_assert_msg(strstr(error->message, path) != NULL, "%s", error->message);
    ck_assert_msg(strstr(error->message, fragment) != NULL, "'%s' not in: %s", fragment,
                  error->message);
    if (code == VL_STATE_FILE_ERROR_DAMAGED) {
        ck_assert_msg(strstr(error->message, "left as is") != NULL, "%s", error->message);
    }
    /* Reading never changes the file. */
    if (regular) {
        ck_assert(g_file_get_contents(path, &after, &after_len, NULL));
    }
    ck_assert_uint_eq(before_len, after_len);
    ck_assert(before_len == 0 || memcmp(before, after, before_len) == 0);
}

/* Writes a good state, then content derived from it by edit, then expects a damaged read. */
typedef char *(*Damage)(const char *good, gsize len);

static char *
truncate_half(const char *good, gsize len)
{
    return g_strndup(good, len / 2);
}

static char *
truncate_newline(const char *good, gsize len)
{
    return g_strndup(good, len - 1);
}

static char *
truncate_brace(const char *good, gsize len)
{
    return g_strndup(good, len - 2);
}

static char *
flip_data_byte(const char *good, gsize len)
{
    char *bad = g_strdup(good);
    char *owner = strstr(bad, "manager-1");

    owner[8] = '7'; /* still valid JSON, another owner */
    return bad;
}

static char *
flip_bit(const char *good, gsize len)
{
    char *bad = g_strdup(good);
    char *url = strstr(bad, "example");

    url[0] ^= 0x20; /* 'e' becomes 'E' */
    return bad;
}

static char *
change_digest(const char *good, gsize len)
{
    char *bad = g_strdup(good);
    char *digest = strstr(bad, "\"sha256\":\"") + 10;

    digest[5] = digest[5] == '0' ? '1' : '0';
    return bad;
}

static char *
upper_digest(const char *good, gsize len)
{
    char *bad = g_strdup(good);
    char *digest = strstr(bad, "\"sha256\":\"") + 10;

    for (guint i = 0; i < 64; i++) {
        digest[i] = g_ascii_toupper(digest[i]);
    }
    return bad;
}

static char *
format_two(const char *good, gsize len)
{
    char *bad = g_strdup(good);

    strstr(bad, "\"format\":1")[9] = '2';
    return bad;
}

static char *
format_string(const char *good, gsize len)
{
    g_autofree char *rest = g_strdup(strstr(good, ",\"sha256\""));

    return g_strconcat("{\"format\":\"1\"", rest, NULL);
}

static char *
reordered(const char *good, gsize len)
{
    /* {"format":1,"sha256":"…","data":…} becomes {"sha256":"…","format":1,"data":…} */
    const char *digest = strstr(good, "\"sha256\":\"");
    const char *data = strstr(good, ",\"data\":");

    return g_strdup_printf("{%.*s,\"format\":1%s", (int)(data - digest), digest, data);
}

static char *
extra_member(const char *good, gsize len)
{
    g_autofree char *body = g_strndup(good, len - 2);

    return g_strconcat(body, ",\"extra\":1}\n", NULL);
}

static char *
pretty(const char *good, gsize len)
{
    g_autoptr(VlJson) root = vl_json_parse(good, len, NULL);

    return vl_json_to_pretty_string(root);
}

static char *
crlf(const char *good, gsize len)
{
    g_autofree char *body = g_strndup(good, len - 1);

    return g_strconcat(body, "\r\n", NULL);
}

static char *
trailing_garbage(const char *good, gsize len)
{
    return g_strconcat(good, "{}", NULL);
}

static char *
zeros_in_middle(const char *good, gsize len)
{
    char *bad = g_strdup(good);

    memset(bad + len / 2, ' ', 16); /* a torn write, filled with spaces */
    return bad;
}

static void
check_damage(Damage damage, const char *fragment)
{
    Fixture f;
    g_autoptr(VlJson) state = make_state("manager-1", 0);
    g_autofree char *good = NULL;
    g_autofree char *bad = NULL;
    gsize len;

    fixture_init(&f);
    write_ok(f.path, state);
    good = read_raw(f.path, &len);
    bad = damage(good, len);
    write_raw(f.path, bad, strlen(bad), 0600);
    assert_read_error(f.path, VL_STATE_FILE_ERROR_DAMAGED, fragment);
    fixture_clear(&f);
}

START_TEST(test_damaged)
{
    check_damage(truncate_half, "not valid JSON");
    check_damage(truncate_newline, "layout");
    check_damage(truncate_brace, "not valid JSON");
    check_damage(flip_data_byte, "digest does not match");
    check_damage(flip_bit, "digest does not match");
    check_damage(change_digest, "digest does not match");
    check_damage(upper_digest, "members");
    check_damage(format_two, "format 2");
    check_damage(format_string, "no format number");
    check_damage(reordered, "layout");
    check_damage(extra_member, "members");
    check_damage(pretty, "layout");
    check_damage(crlf, "layout");
    check_damage(trailing_garbage, "not valid JSON");
    check_damage(zeros_in_middle, "");
}
END_TEST

/* The documented format, written by hand: "{}" hashes to 44136fa3…. */
#define EMPTY_STATE                                                                                \
    "{\"format\":1,\"sha256\":"                                                                    \
    "\"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"data\":{}}\n"

START_TEST(test_damaged_raw)
{
    Fixture f;
    g_autoptr(VlJson) empty = NULL;
    const char *cases[][2] = {
        {"", "empty"},
        {"not json\n", "not valid JSON"},
        {"[1,2,3]\n", "not a JSON object"},
        {"{\"format\":1}\n", "members"},
        {"{\"format\":1,\"sha256\":\"00\",\"data\":{}}\n", "members"},
        {"{\"format\":1,\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b"
         "855\",\"data\":[]}\n",
         "members"},
        {"{\"format\":1, \"sha256\":\"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaf"
         "f8a\",\"data\":{}}\n",
         "layout"},
        {"{\"format\":1e0}\n", "no format number"},
        {"{\"format\":99999999999999999999}\n", "not valid JSON"},
        {"\xef\xbb\xbf{}\n", "not valid JSON"},
    };

    fixture_init(&f);
    write_raw(f.path, EMPTY_STATE, strlen(EMPTY_STATE), 0600);
    empty = vl_state_file_read(f.path, NULL);
    ck_assert(empty != NULL);
    ck_assert_uint_eq(vl_json_object_size(empty), 0);

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *content = cases[i][0];

        write_raw(f.path, content, strlen(content), 0600);
        assert_read_error(f.path, VL_STATE_FILE_ERROR_DAMAGED, cases[i][1]);
    }
    fixture_clear(&f);
}
END_TEST

START_TEST(test_deep_nesting)
{
    Fixture f;
    GString *deep = g_string_new("{\"format\":1,\"sha256\":\"");
    g_autofree char *text = NULL;

    fixture_init(&f);
    g_string_append(deep, "0000000000000000000000000000000000000000000000000000000000000000");
    g_string_append(deep, "\",\"data\":{\"a\":");
    for (guint i = 0; i < 100000; i++) {
        g_string_append_c(deep, '[');
    }
    for (guint i = 0; i < 100000; i++) {
        g_string_append_c(deep, ']');
    }
    g_string_append(deep, "}}\n");
    text = g_string_free(deep, FALSE);
    write_raw(f.path, text, strlen(text), 0600);
    assert_read_error(f.path, VL_STATE_FILE_ERROR_DAMAGED, "not valid JSON");
    fixture_clear(&f);
}
END_TEST

START_TEST(test_too_large)
{
    Fixture f;
    g_autoptr(VlJson) state = make_state("m", 0);
    int fd;

    fixture_init(&f);
    write_ok(f.path, state);
    /* 2 MiB, refused from its size (a sparse file: nothing to read would be cheap anyway). */
    ck_assert_int_eq(truncate(f.path, 2 * 1024 * 1024), 0);
    assert_read_error(f.path, VL_STATE_FILE_ERROR_DAMAGED, "more than");
    ck_assert_int_eq(truncate(f.path, VL_STATE_FILE_MAX_SIZE + 1), 0);
    assert_read_error(f.path, VL_STATE_FILE_ERROR_DAMAGED, "more than");
    /* Exactly the bound is read, and then found damaged for what it holds. */
    ck_assert_int_eq(truncate(f.path, VL_STATE_FILE_MAX_SIZE), 0);
    assert_read_error(f.path, VL_STATE_FILE_ERROR_DAMAGED, "not valid JSON");
    /* A FIFO is refused without blocking on it. */
    unlink(f.path);
    ck_assert_int_eq(mkfifo(f.path, 0600), 0);
    assert_read_error(f.path, VL_STATE_FILE_ERROR_READ, "not a regular file");
    unlink(f.path);
    fd = open(f.path, O_WRONLY | O_CREAT, 0600);
    close(fd);
    assert_read_error(f.path, VL_STATE_FILE_ERROR_DAMAGED, "empty");
    fixture_clear(&f);
}
END_TEST

/* Permissions and missing files ---------------------------------------------------------------- */

START_TEST(test_permissions)
{
    Fixture f;
    g_autoptr(VlJson) state = make_state("m", 0);
    g_autofree char *fix = NULL;
    const int loose[] = {0644, 0640, 0604, 0620, 0602, 0610, 0601, 0666, 0777};

    fixture_init(&f);
    fix = g_strdup_printf("chmod 600 %s", f.path);
    write_ok(f.path, state);
    for (guint i = 0; i < G_N_ELEMENTS(loose); i++) {
        ck_assert_int_eq(chmod(f.path, loose[i]), 0);
        assert_read_error(f.path, VL_STATE_FILE_ERROR_PERMISSIONS, fix);
    }
    /* Stricter than 0600 is fine. */
    ck_assert_int_eq(chmod(f.path, 0400), 0);
    assert_state(f.path, state);
    ck_assert_int_eq(chmod(f.path, 0600), 0);
    /* Another user's file is not trusted either; only root can make one here. */
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(f.path, 1, (gid_t)-1), 0);
        assert_read_error(f.path, VL_STATE_FILE_ERROR_PERMISSIONS, "chown 0");
    }
    fixture_clear(&f);
}
END_TEST

START_TEST(test_missing)
{
    Fixture f;
    g_autofree char *in_missing = NULL;

    fixture_init(&f);
    assert_read_error(f.path, VL_STATE_FILE_ERROR_MISSING, "no state file");
    in_missing = g_build_filename(f.dir, "gone", "state.json", NULL);
    assert_read_error(in_missing, VL_STATE_FILE_ERROR_MISSING, "no state file");
    /* A folder where the file should be. */
    ck_assert_int_eq(mkdir(f.path, 0700), 0);
    assert_read_error(f.path, VL_STATE_FILE_ERROR_READ, "not a regular file");
    fixture_clear(&f);
}
END_TEST

/* Editing ----------------------------------------------------------------------------------------
 */

static VlJson *
parse_text(const char *text)
{
    VlJson *json = vl_json_parse(text, strlen(text), NULL);

    ck_assert_ptr_nonnull(json);
    return json;
}

START_TEST(test_with_member)
{
    g_autoptr(VlJson) state = parse_text("{\"a\":1,\"owner\":{\"x\":1},\"future\":[1,2]}");
    g_autoptr(VlJson) value = parse_text("{\"owner\":{\"y\":2}}");
    g_autoptr(VlJson) replaced =
        vl_state_file_with_member(state, "owner", vl_json_object_get(value, "owner"));
    g_autoptr(VlJson) removed = vl_state_file_with_member(state, "owner", NULL);
    g_autoptr(VlJson) added =
        vl_state_file_with_member(removed, "owner", vl_json_object_get(value, "owner"));
    g_autofree char *replaced_text = vl_json_to_string(replaced, NULL);
    g_autofree char *removed_text = vl_json_to_string(removed, NULL);
    g_autofree char *added_text = vl_json_to_string(added, NULL);

    /* Replaced where it stands; the members this vmlinkd does not know stay. */
    ck_assert_str_eq(replaced_text, "{\"a\":1,\"owner\":{\"y\":2},\"future\":[1,2]}");
    ck_assert_str_eq(removed_text, "{\"a\":1,\"future\":[1,2]}");
    ck_assert_str_eq(added_text, "{\"a\":1,\"future\":[1,2],\"owner\":{\"y\":2}}");
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_round_trip,
        test_mode_despite_umask,
        test_write_fails_disk_full,
        test_write_unflushed_folder,
        test_write_fails_path_is_folder,
        test_write_fails_read_only_folder,
        test_write_too_large,
        test_leftovers_removed,
        test_damaged,
        test_damaged_raw,
        test_deep_nesting,
        test_too_large,
        test_permissions,
        test_missing,
        test_with_member,
        NULL,
    };

    return vl_check_run(vl_check_suite("state-file", tests));
}
