/* test_hdmi_audio.c: the ALSA card an HDMI output plays on (core/hdmi_audio.c): each output of a
 * Pi 4 gets its own card, a one-port Pi's plain vc4hdmi is the fallback of the first output only,
 * and names without an HDMI output get none. */
#include "display/core/hdmi_audio.h"
#include "test.h"

TEST(each_output_has_its_card)
{
    char c[2][HDMI_AUDIO_CARD_MAX];
    CHECK_EQ_INT(hdmi_audio_cards("gallery-pi-3-HDMI-A-1", c), 2);
    CHECK_STR_EQ(c[0], "vc4hdmi0");
    CHECK_STR_EQ(c[1], "vc4hdmi");
    CHECK_EQ_INT(hdmi_audio_cards("gallery-pi-3-HDMI-A-2", c), 1);
    CHECK_STR_EQ(c[0], "vc4hdmi1");
}

TEST(other_names_have_none)
{
    char c[2][HDMI_AUDIO_CARD_MAX];
    CHECK_EQ_INT(hdmi_audio_cards("tv1", c), 0);
    CHECK_EQ_INT(hdmi_audio_cards("", c), 0);
    CHECK_EQ_INT(hdmi_audio_cards("HDMI-A-", c), 0);
    CHECK_EQ_INT(hdmi_audio_cards("pi-HDMI-A-0", c), 0);
    CHECK_EQ_INT(hdmi_audio_cards("pi-DP-1", c), 0);
    CHECK_EQ_INT(hdmi_audio_cards("pi-HDMI-A-1x", c), 0);
}

int main(void)
{
    RUN(each_output_has_its_card);
    RUN(other_names_have_none);
    TEST_END("test_hdmi_audio");
}
