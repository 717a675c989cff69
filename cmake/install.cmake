# `cmake --install BUILD [--prefix DIR]` and `cpack -G DEB`.
#
#   bin/                      kf, kubectl-kf (a link: `kubectl kf ...` runs kf as a kubectl
#                             plugin), kf-trainer, kf-trainer-cpu (CUDA builds), kf-server,
#                             kf-tfevent-collector
#   share/man/man1/           kf(1) and one page per verb
#   share/bash-completion/completions/kf, share/zsh/vendor-completions/_kf,
#   share/fish/vendor_completions.d/kf.fish
#   share/doc/kf/             copyright (Debian's format), changelog.gz, README.md
#
# The .deb is made by `cmake --workflow --preset deb` (a Release build without
# the CUDA path, so every library it links is a Debian package and
# dpkg-shlibdeps can name them all in Depends).
include(GNUInstallDirs)

install(TARGETS kf kf-trainer kf-server kf-tfevent-collector RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET kf-trainer-cpu)
  install(TARGETS kf-trainer-cpu RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(CODE [[
  set(kf_bin "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/bin")
  file(CREATE_LINK kf "${kf_bin}/kubectl-kf" SYMBOLIC)
  message(STATUS "Installing: ${kf_bin}/kubectl-kf -> kf")
]])

file(GLOB KF_MAN_PAGES ${PROJECT_SOURCE_DIR}/man/*.1)
install(FILES ${KF_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES completions/kf.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME kf)
install(FILES completions/_kf DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES completions/kf.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)

# Debian wants changelogs compressed with gzip -9n (no name, no timestamp).
set(KF_CHANGELOG_GZ ${CMAKE_CURRENT_BINARY_DIR}/changelog.gz)
add_custom_command(OUTPUT ${KF_CHANGELOG_GZ}
  COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/packaging/changelog > ${KF_CHANGELOG_GZ}
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/changelog)
add_custom_target(kf_changelog ALL DEPENDS ${KF_CHANGELOG_GZ})
install(FILES packaging/copyright ${KF_CHANGELOG_GZ} README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kf)
set(CPACK_PACKAGE_VENDOR "The kf authors")
set(CPACK_PACKAGE_CONTACT "kf maintainers <maintainers@kf.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Kubeflow toolchain: render, validate, apply, train, tune and serve")
set(CPACK_PACKAGE_DESCRIPTION "kf takes a machine-learning project from a laptop to a Kubeflow cluster.
It scaffolds the project, renders the Kubernetes objects for training
(PyTorchJob, TFJob), tuning (Katib Experiment), serving (KServe
InferenceService), pipelines (Argo Workflow) and notebooks, validates them
against the upstream CRD schemas built into it, and applies them with
server-side apply. Without a cluster it runs the same objects on this
machine: kf-trainer trains data-parallel on OpenBLAS and Gloo, kf-server
serves the model over KServe's Open Inference Protocol. kubectl-kf makes
it a kubectl plugin.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # kf_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg-shlibdeps sees only linked libraries; these kf opens on first use.
list(JOIN KF_LAZY_DEB_DEPENDS ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "kubectl, python3-torch")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/packaging/deb-prebuild.cmake) # gzip the man pages
include(CPack)
