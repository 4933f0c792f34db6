/* cec.c: the TV's power over HDMI-CEC with the kernel CEC API (<linux/cec.h>, ioctls on
 * /dev/cecN), not libcec: an ioctl takes a fraction of a millisecond where libcec takes seconds.
 * The messages come from <linux/cec-funcs.h> and are also handed out as plain frames
 * (cec_power_frames) so that tests check them without a device. Depends on the kernel headers
 * only; nothing here knows the schedule or SDL. */
#include "cec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/cec-funcs.h>
#include <linux/cec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct cec_adapter {
    int fd;
    char path[64];
};

static void power_msgs(int on, unsigned la, unsigned phys, struct cec_msg msgs[2], int *n)
{
    if (on) {
        cec_msg_init(&msgs[0], (__u8)la, CEC_LOG_ADDR_TV);
        cec_msg_image_view_on(&msgs[0]);
        cec_msg_init(&msgs[1], (__u8)la, CEC_LOG_ADDR_BROADCAST);
        cec_msg_active_source(&msgs[1], (__u16)phys);
        *n = 2;
    } else {
        cec_msg_init(&msgs[0], (__u8)la, CEC_LOG_ADDR_TV);
        cec_msg_standby(&msgs[0]);
        *n = 1;
    }
}

int cec_power_frames(int on, unsigned la, unsigned phys, struct cec_frame out[2])
{
    struct cec_msg msgs[2];
    int n;
    power_msgs(on, la, phys, msgs, &n);
    for (int i = 0; i < n; i++) {
        out[i].len = (unsigned char)msgs[i].len;
        memcpy(out[i].b, msgs[i].msg, msgs[i].len);
    }
    return n;
}

/* Ask for a playback device's address unless the adapter has one already (another program, or
 * an earlier run, configured it). Non-blocking: the kernel claims it once a TV is linked. */
static int claim(int fd, char *err, size_t errlen)
{
    struct cec_log_addrs have = {0};
    if (ioctl(fd, CEC_ADAP_G_LOG_ADDRS, &have) == 0 && have.num_log_addrs > 0)
        return 0;
    struct cec_log_addrs want = {.cec_version = CEC_OP_CEC_VERSION_1_4,
                                 .num_log_addrs = 1,
                                 .vendor_id = CEC_VENDOR_ID_NONE,
                                 .flags = CEC_LOG_ADDRS_FL_ALLOW_UNREG_FALLBACK};
    snprintf(want.osd_name, sizeof want.osd_name, "PANIC!");
    want.log_addr_type[0] = CEC_LOG_ADDR_TYPE_PLAYBACK;
    want.primary_device_type[0] = CEC_OP_PRIM_DEVTYPE_PLAYBACK;
    want.all_device_types[0] = CEC_OP_ALL_DEVTYPE_PLAYBACK;
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int rc = ioctl(fd, CEC_ADAP_S_LOG_ADDRS, &want);
    fcntl(fd, F_SETFL, flags);
    if (rc < 0 && errno != EBUSY) {
        snprintf(err, errlen, "cannot claim a CEC playback address: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static struct cec_adapter *open_one(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct cec_caps caps = {0};
    int ok = 0;
    if (ioctl(fd, CEC_ADAP_G_CAPS, &caps) < 0)
        snprintf(err, errlen, "%s is not a CEC device: %s", path, strerror(errno));
    else if (!(caps.capabilities & CEC_CAP_TRANSMIT))
        snprintf(err, errlen, "%s (%s) cannot transmit CEC messages", path, caps.driver);
    else
        ok = !(caps.capabilities & CEC_CAP_LOG_ADDRS) || claim(fd, err, errlen) == 0;
    struct cec_adapter *c = ok ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        if (ok)
            snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    c->fd = fd;
    snprintf(c->path, sizeof c->path, "%s", path);
    return c;
}

struct cec_adapter *cec_adapter_open(const char *path, char *err, size_t errlen)
{
    if (path && strcmp(path, "auto") != 0)
        return open_one(path, err, errlen);
    char first[256] = "";
    for (int i = 0; i < 16; i++) {
        char p[32];
        snprintf(p, sizeof p, "/dev/cec%d", i);
        if (access(p, F_OK) < 0)
            continue;
        struct cec_adapter *c = open_one(p, err, errlen);
        if (c)
            return c;
        if (!first[0])
            snprintf(first, sizeof first, "%s", err);
    }
    if (first[0])
        snprintf(err, errlen, "%s", first);
    else
        snprintf(err, errlen,
                 "no CEC device (/dev/cec0 ... /dev/cec15): this machine has no HDMI-CEC adapter, "
                 "or its driver is not loaded; the TV's power is left alone");
    return NULL;
}

void cec_adapter_close(struct cec_adapter *c)
{
    if (!c)
        return;
    close(c->fd);
    free(c);
}

const char *cec_adapter_path(const struct cec_adapter *c)
{
    return c->path;
}

static int transmit(struct cec_adapter *c, struct cec_msg *m, char *err, size_t errlen)
{
    if (ioctl(c->fd, CEC_TRANSMIT, m) < 0) {
        snprintf(err, errlen, "%s: CEC transmit: %s", c->path, strerror(errno));
        return -1;
    }
    if (m->tx_status && !(m->tx_status & CEC_TX_STATUS_OK)) {
        snprintf(err, errlen, "%s: the TV did not acknowledge (tx status 0x%02x, %u nacks)",
                 c->path, m->tx_status, m->tx_nack_cnt);
        return -1;
    }
    return 0;
}

int cec_adapter_power(struct cec_adapter *c, int on, char *err, size_t errlen)
{
    __u16 phys = CEC_PHYS_ADDR_INVALID;
    struct cec_log_addrs la = {0};
    if (ioctl(c->fd, CEC_ADAP_G_PHYS_ADDR, &phys) < 0 || phys == CEC_PHYS_ADDR_INVALID) {
        snprintf(err, errlen, "%s: no CEC link (physical address f.f.f.f): is a TV connected?",
                 c->path);
        return -1;
    }
    if (ioctl(c->fd, CEC_ADAP_G_LOG_ADDRS, &la) < 0 || la.num_log_addrs == 0 ||
        la.log_addr[0] == CEC_LOG_ADDR_INVALID) {
        snprintf(err, errlen, "%s: no CEC logical address claimed yet", c->path);
        return -1;
    }
    struct cec_msg msgs[2];
    int n;
    power_msgs(on, la.log_addr[0], phys, msgs, &n);
    for (int i = 0; i < n; i++)
        if (transmit(c, &msgs[i], err, errlen) < 0)
            return -1;
    return 0;
}
