/* test_discovery.c: choosing a coordinator among those a browse found (common/discovery.c), with
 * made-up results as a fake resolver would return them: one, none, several installations with
 * and without a name given, duplicates over IPv4/IPv6 and interfaces, other API versions, and
 * the URL of IPv4, IPv6 and link-local addresses. Pure: no Avahi, no sockets. */
#include "common/discovery.h"
#include "test.h"

#include <stdio.h>
#include <string.h>

static struct discovered svc(const char *inst, const char *addr, int port, int api)
{
    struct discovered d = {.port = port, .api = api};
    snprintf(d.installation, sizeof d.installation, "%s", inst);
    snprintf(d.address, sizeof d.address, "%s", addr);
    snprintf(d.host, sizeof d.host, "%s.local", inst[0] ? inst : "anon");
    snprintf(d.name, sizeof d.name, "PANIC! %s", inst);
    d.ipv6 = strchr(addr, ':') != NULL;
    return d;
}

TEST(none_found)
{
    char err[512] = "";
    CHECK_EQ_INT(discovery_choose(NULL, 0, NULL, DISCOVERY_API, err, sizeof err), -1);
    CHECK(strstr(err, "no PANIC! coordinator") != NULL);
    CHECK_EQ_INT(discovery_choose(NULL, 0, "gallery-a", DISCOVERY_API, err, sizeof err), -1);
}

TEST(the_only_one_with_or_without_a_name)
{
    struct discovered r[] = {svc("gallery-a", "192.168.1.20", 8080, 1)};
    char err[512] = "";
    CHECK_EQ_INT(discovery_choose(r, 1, NULL, 1, err, sizeof err), 0);
    CHECK_EQ_INT(discovery_choose(r, 1, "", 1, err, sizeof err), 0);
    CHECK_EQ_INT(discovery_choose(r, 1, "gallery-a", 1, err, sizeof err), 0);
    CHECK_EQ_INT(discovery_choose(r, 1, "gallery-b", 1, err, sizeof err), -1);
    CHECK(strstr(err, "no coordinator of installation 'gallery-b'") != NULL);
    CHECK(strstr(err, "'gallery-a' (gallery-a.local)") != NULL);
}

TEST(several_need_a_name)
{
    struct discovered r[] = {
        svc("gallery-a", "fd00::20", 8080, 1),     svc("gallery-b", "192.168.1.30", 8080, 1),
        svc("gallery-a", "192.168.1.20", 8080, 1), svc("gallery-c", "192.168.1.40", 9000, 1),
        svc("gallery-a", "127.0.0.1", 8080, 1),
    };
    size_t n = sizeof r / sizeof r[0];
    char err[512] = "";
    CHECK_EQ_INT(discovery_choose(r, n, NULL, 1, err, sizeof err), -1);
    CHECK(strstr(err, "several coordinators") != NULL);
    /* Each installation listed once. */
    CHECK(strstr(err, "'gallery-a'") && strstr(err, "'gallery-b'") && strstr(err, "'gallery-c'"));
    CHECK(strstr(strstr(err, "'gallery-a'") + 1, "'gallery-a'") == NULL);
    /* With a name: that installation, its first IPv4 address over the IPv6 one found first. */
    CHECK_EQ_INT(discovery_choose(r, n, "gallery-a", 1, err, sizeof err), 2);
    CHECK_EQ_INT(discovery_choose(r, n, "gallery-c", 1, err, sizeof err), 3);
    CHECK_EQ_INT(discovery_choose(r, n, "gallery-b", 1, err, sizeof err), 1);
}

TEST(one_installation_at_several_addresses_is_one)
{
    struct discovered r[] = {svc("foyer", "fe80::1%eth0", 8080, 1),
                             svc("foyer", "10.0.0.5", 8080, 1), svc("foyer", "127.0.0.1", 8080, 1)};
    char err[512] = "";
    CHECK_EQ_INT(discovery_choose(r, 3, NULL, 1, err, sizeof err), 1);
    /* Only IPv6: that one. */
    CHECK_EQ_INT(discovery_choose(r, 1, NULL, 1, err, sizeof err), 0);
}

TEST(other_api_versions_are_passed_over)
{
    struct discovered r[] = {svc("old", "10.0.0.1", 8080, 0), svc("new", "10.0.0.2", 8080, 2),
                             svc("ours", "10.0.0.3", 8080, 1)};
    char err[512] = "";
    CHECK_EQ_INT(discovery_choose(r, 3, NULL, 1, err, sizeof err), 2);
    CHECK_EQ_INT(discovery_choose(r, 2, NULL, 1, err, sizeof err), -1);
    CHECK(strstr(err, "another API version") != NULL);
    CHECK_EQ_INT(discovery_choose(r, 3, "new", 1, err, sizeof err), -1);
}

TEST(urls)
{
    char url[128];
    struct discovered a = svc("x", "192.168.1.20", 8080, 1);
    discovery_url(&a, url, sizeof url);
    CHECK_STR_EQ(url, "http://192.168.1.20:8080");
    struct discovered b = svc("x", "fd00::2", 9000, 1);
    discovery_url(&b, url, sizeof url);
    CHECK_STR_EQ(url, "http://[fd00::2]:9000");
    struct discovered c = svc("x", "fe80::1%eth0", 80, 1);
    discovery_url(&c, url, sizeof url);
    CHECK_STR_EQ(url, "http://[fe80::1%25eth0]:80");
}

int main(void)
{
    RUN(none_found);
    RUN(the_only_one_with_or_without_a_name);
    RUN(several_need_a_name);
    RUN(one_installation_at_several_addresses_is_one);
    RUN(other_api_versions_are_passed_over);
    RUN(urls);
    TEST_END("test_discovery");
}
