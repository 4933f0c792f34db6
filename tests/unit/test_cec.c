/* test_cec.c: the HDMI-CEC adapter (src/display/cec.c) without a TV: the exact messages that
 * switch a TV on and off, and the clear failures where there is no CEC device (no /dev/cecN, a
 * path that is not one). The kernel's vivid driver would give loopback adapters, but a container
 * cannot load modules; the bus itself is for the hardware checklist. */
#include "display/cec.h"
#include "test.h"

#include <string.h>
#include <unistd.h>

static void frame_is(const struct cec_frame *f, const unsigned char *want, unsigned len)
{
    CHECK_EQ_INT(f->len, len);
    if (f->len == len && memcmp(f->b, want, len) != 0)
        TEST_FAIL_AT("frame bytes differ (first %02x %02x, wanted %02x %02x)", f->b[0],
                     f->len > 1 ? f->b[1] : 0, want[0], len > 1 ? want[1] : 0);
}

TEST(power_frames)
{
    struct cec_frame f[2];
    /* On from playback device 1 (logical address 4) at physical address 1.0.0.0: Image View On
     * (0x04) to the TV (0), then Active Source (0x82) broadcast (F) with 1.0.0.0. */
    CHECK_EQ_INT(cec_power_frames(1, 4, 0x1000, f), 2);
    frame_is(&f[0], (const unsigned char[]){0x40, 0x04}, 2);
    frame_is(&f[1], (const unsigned char[]){0x4f, 0x82, 0x10, 0x00}, 4);
    /* Off: Standby (0x36) to the TV. */
    CHECK_EQ_INT(cec_power_frames(0, 4, 0x1000, f), 1);
    frame_is(&f[0], (const unsigned char[]){0x40, 0x36}, 2);
    /* Playback device 2 (8) on the second input, 2.1.0.0. */
    CHECK_EQ_INT(cec_power_frames(1, 8, 0x2100, f), 2);
    frame_is(&f[0], (const unsigned char[]){0x80, 0x04}, 2);
    frame_is(&f[1], (const unsigned char[]){0x8f, 0x82, 0x21, 0x00}, 4);
}

TEST(no_device_fails_clearly)
{
    char err[512] = "";
    CHECK(cec_adapter_open("/nonexistent/cec9", err, sizeof err) == NULL);
    CHECK(strstr(err, "/nonexistent/cec9: No such file or directory") != NULL);
    /* A character device that is not a CEC adapter: the ioctl says so. */
    CHECK(cec_adapter_open("/dev/null", err, sizeof err) == NULL);
    CHECK(strstr(err, "/dev/null is not a CEC device") != NULL);
    if (access("/dev/cec0", F_OK) == 0) {
        printf("skip: /dev/cec0 exists, the no-device message is not tested here\n");
        return;
    }
    CHECK(cec_adapter_open(NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "no CEC device (/dev/cec0 ... /dev/cec15)") != NULL);
    CHECK(cec_adapter_open("auto", err, sizeof err) == NULL);
    CHECK(strstr(err, "the TV's power is left alone") != NULL);
}

int main(void)
{
    RUN(power_frames);
    RUN(no_device_fails_clearly);
    TEST_END("test_cec");
}
