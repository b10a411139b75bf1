# Asterisk 22 for cutover's SIP harness, for hosts with a Docker engine (or podman).
#
# The same Asterisk as the rootfs runner (sip_harness/asterisk/backends.py) uses without Docker: Debian
# sid's packages (Debian 12 has no asterisk package). cutover builds and runs it itself:
#   CUTOVER_ASTERISK_BACKEND=docker cutover asterisk up SCENARIO
# which is, by hand:
#   docker build -t cutover-asterisk:22 .
#   docker run -d --network host --ulimit nofile=N:N --ulimit nproc=N:N \
#     -v RUN/etc:/etc/asterisk -v RUN/lib:/var/lib/asterisk \
#     -v RUN/spool:/var/spool/asterisk -v RUN/log:/var/log/asterisk cutover-asterisk:22
# where RUN/etc holds asterisk_conf/ plus the generated pjsip.conf, extensions.conf,
# voicemail.conf and a manager.conf with a per-run AMI secret (cutover writes all of these,
# and gives RUN to the image's user; nothing secret is in the image). Host networking, because
# the harness puts every carrier on its own loopback address (127.0.1.x) and Asterisk must see
# those addresses.
# The base: Debian sid, by default the image of that name; where no image registry is reachable
# cutover imports its cached rootfs as a local image and builds with --build-arg BASE=that.
ARG BASE=debian:sid-slim
FROM ${BASE}

# Asterisk, its modules, and the English GSM prompts used by Playback(hello-world) and
# VoiceMail(). No recommends: keeps the image to what the harness loads (see modules.conf).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      asterisk asterisk-modules asterisk-core-sounds-en-gsm \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

# The project's base config replaces Debian's sample configuration. Without a mounted
# /etc/asterisk the image boots with this base alone (no SIP transport, AMI disabled since
# manager.conf is only a template); cutover always mounts a complete per-run directory.
RUN rm -rf /etc/asterisk && mkdir /etc/asterisk
COPY asterisk_conf/ /etc/asterisk/

# Asterisk runs as the package's own user, not root: nothing in the harness's config needs
# root (SIP 5060 and AMI 5038 are above 1024, no realtime priority, no setuid). A fixed uid
# lets the host hand the mounted per-run directories to it (cutover reads it from USER).
RUN usermod -u 10001 asterisk && groupmod -g 10001 asterisk \
 && mkdir -p /var/run/asterisk /var/cache/asterisk \
 && chown -R asterisk:asterisk /etc/asterisk /var/lib/asterisk /var/spool/asterisk \
      /var/log/asterisk /var/run/asterisk /var/cache/asterisk
USER 10001:10001

# SIP (UDP) and AMI (TCP); with --network host these are bound on 127.0.0.1 directly.
EXPOSE 5060/udp 5038/tcp

# Foreground (-f), no colours (-n).
CMD ["/usr/sbin/asterisk", "-f", "-n"]
